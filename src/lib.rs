//! brandlink: wire AEM Assets 6.4/6.5 to Adobe Brand Portal and keep the link healthy.

pub mod aem;
pub mod cli;
pub mod config;
pub mod evidence;
pub mod fsutil;
pub mod ims;
pub mod monitor;
pub mod net;
/// The AEM + IMS + Brand Portal emulator (crate `aem-sandbox`), under its old name.
#[cfg(feature = "sandbox")]
pub use aem_sandbox as sandbox;
pub mod setup;
pub mod tui;
pub mod verdict;
pub mod when;
pub mod words;
