//! `brandlink support-bundle`: one .tar.gz for a support case (see the README's "Support
//! bundle"), written by the setup service.

use crate::cli::args::SupportBundleArgs;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report};
use crate::setup::bundle::BundleOptions;

/// `support-bundle --json` is [`crate::setup::bundle::BundleWritten`]: `path`, `files`,
/// `redactions` (kind → count) and `namesReplaced`.
pub async fn run(ctx: &Context, a: &SupportBundleArgs) -> Result<Report, CliError> {
    let setup = ctx.setup()?;
    let opts = BundleOptions {
        out: a.out.clone(),
        redact_hosts: a.redact_hosts,
        test: !a.no_test,
        tenant: ctx.tenant_or(&a.tenant),
    };
    let done = setup.support_bundle(&opts).await?;
    let mut text = format!(
        "Support bundle written to {} (0600):\n",
        done.path.display()
    );
    for f in &done.files {
        text.push_str(&format!("  {f}\n"));
    }
    let removed: usize = done.redactions.values().sum();
    text.push_str(&format!(
        "{removed} secrets removed{}; see REDACTIONS.md inside.\n",
        if a.redact_hosts {
            format!(
                ", {} host names, tenant ids and organisations replaced",
                done.names_replaced
            )
        } else {
            String::new()
        }
    ));
    Ok(Report::new(true, text, &done))
}
