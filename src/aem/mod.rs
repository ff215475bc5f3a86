//! The async AEM client: one file per area of the author that the integration touches.

pub mod agents;
pub mod client;
pub mod cloud;
pub mod connection;
pub mod error;
mod gate;
pub mod health;
pub mod html;
pub mod http;
pub mod keystore;
pub mod logs;
pub mod nodes;
pub mod osgi;
pub mod queue;
pub mod reader;
pub mod readiness;
pub mod tls;
pub mod users;

pub use client::{AemClient, Connection};
pub use error::{AemError, Retry};
pub use http::{HttpClients, TlsSettings};
pub use reader::Reader;
