//! One file per command. Each takes its arguments and the resolved [`Context`], calls the
//! setup service (or the monitor), and returns a [`Report`] whose JSON is a typed report.

pub mod account;
pub mod agents;
pub mod cert;
pub mod cloud;
pub mod docs;
pub mod doctor;
pub mod exporter;
pub mod fleet;
mod fleet_migrate;
pub mod history;
pub mod queues;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod status;
pub mod support_bundle;
pub mod tui;
pub mod upgrade;

use super::args::{AccountCommand, CertCommand, CloudCommand, Command};
use super::context::Context;
use super::output::{CliError, Report};

/// Runs a command that works on a configured author. When it fails, and the server turns out
/// not to be an AEM author at all, that is what the operator hears.
pub async fn run(ctx: &Context, command: Command) -> Result<Report, CliError> {
    let result = dispatch(ctx, command).await;
    if let Err(CliError::Failed(_)) = &result
        && let Ok(reader) = ctx.reader()
        && let Some(e) = reader.not_aem().await
    {
        return Err(e.into());
    }
    result
}

async fn dispatch(ctx: &Context, command: Command) -> Result<Report, CliError> {
    match command {
        Command::Status(a) => status::run(ctx, &a).await,
        Command::Cert(CertCommand::Create(a)) => cert::create(ctx, &a).await,
        Command::Account(AccountCommand::Create(a)) => account::create(ctx, &a).await,
        Command::Account(AccountCommand::Check(a)) => account::check(ctx, &a).await,
        Command::Account(AccountCommand::Migrate(a)) => account::migrate(ctx, &a).await,
        Command::Account(AccountCommand::Update(a)) => account::update(ctx, &a).await,
        Command::Account(AccountCommand::Delete(a)) => account::delete(ctx, &a).await,
        Command::Cert(CertCommand::Rotate(a)) => cert::rotate(ctx, &a).await,
        Command::Cert(CertCommand::Delete(a)) => cert::delete(ctx, &a).await,
        Command::Cloud(CloudCommand::Create(a)) => cloud::create(ctx, &a).await,
        Command::Cloud(CloudCommand::Resave(a)) => cloud::resave(ctx, &a).await,
        Command::Agents(a) => agents::run(ctx, &a).await,
        Command::Queues(a) => queues::run(ctx, &a).await,
        Command::Doctor(a) => doctor::run(ctx, &a).await,
        Command::Upgrade(a) => upgrade::upgrade(ctx, &a).await,
        Command::Restore(a) => upgrade::restore(ctx, &a).await,
        Command::History(a) => history::run(ctx, &a),
        Command::SupportBundle(a) => support_bundle::run(ctx, &a).await,
        Command::Exporter(_) => Err(CliError::Usage("the exporter runs on its own".into())),
        Command::Fleet(_) => Err(CliError::Usage(
            "the fleet commands run on their own".into(),
        )),
        Command::Completions(_) | Command::Man(_) => Err(CliError::Usage(
            "completions and man pages need no author".into(),
        )),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(_) | Command::Demo(_) => {
            Err(CliError::Usage("the sandbox runs on its own".into()))
        }
    }
}

/// `2026-11-30` from epoch seconds (see [`crate::when`]).
pub fn day(epoch_secs: i64) -> String {
    crate::when::day(epoch_secs)
}
