//! Adobe IMS: the Brand Portal certificate, the JWT and the token exchange.

pub mod certificate;
