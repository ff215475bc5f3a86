//! Adobe IMS: the Brand Portal certificate, the JWT payload, signing, and the token exchange.

pub mod certificate;
pub mod keyfile;
pub mod payload;
pub mod token;
