//! The Fleet screen of `demo --fleet`.

use super::*;

#[test]
fn the_fleet_screen_of_a_demo_fleet_opens_an_author_and_comes_back() {
    if !have_tools() {
        return;
    }
    // Four authors: alpha, beta on alpha's tenant, gone (a closed port), legacy (retired JWT).
    let (tmux, _dir) = Tmux::demo(
        "brandlink-fleet",
        120,
        40,
        "demo --fleet 4; echo EXIT=$?; sleep 60",
    );
    // Every author read once (a busy machine may take a while to start four of them).
    let screen = tmux.wait_until("the first read of all four authors", 180, |s| {
        s.contains("4 authors:") && !s.contains("so far") && !s.contains("reading…")
    });
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{screen}"))
            .to_string()
    };
    assert!(row("gone").contains("unreachable"), "{screen}");
    assert!(row("legacy").contains("JWT"), "{screen}");
    assert!(row("alpha").contains("working"), "{screen}");
    assert!(
        screen.contains("✗ fleet.tenants https://alpha.brand-portal.adobe.com is configured on"),
        "{screen}"
    );
    // Failing first: the unreachable author and the retired JWT above the healthy two.
    let at = |name: &str| screen.find(&row(name)).unwrap();
    assert!(
        at("gone") < at("alpha") && at("legacy") < at("alpha"),
        "{screen}"
    );
    // Down to alpha, and ⏎: its four tabs, read.
    tmux.wait_for("› gone", 30);
    tmux.keys(&["j"]);
    tmux.wait_for("› legacy", 30);
    tmux.keys(&["j"]);
    tmux.wait_for("› alpha", 30);
    tmux.keys(&["Enter"]);
    let tabs = tmux.wait_until("alpha's tabs, read", 60, |s| {
        s.contains("alpha: AEM http://127.0.0.1:") && s.contains("● connected")
    });
    assert!(tabs.contains("Replication"), "{tabs}");
    assert!(
        tabs.contains("0 fleet"),
        "the hint bar offers the way back: {tabs}"
    );
    // esc: the Fleet screen again, alpha still selected.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the Fleet screen again", 30, |s| {
        s.contains("Fleet of 4 authors") && s.contains("› alpha")
    });
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 30);
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(
        end.contains("brandlink demo finished; its 3 sandbox authors have stopped."),
        "{end}"
    );
}
