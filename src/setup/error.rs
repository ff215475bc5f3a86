//! The setup layer's one error type, and the classes front ends decide by (exit code, retry,
//! wording) without parsing messages.

use super::upgrade::UpgradeError;
use crate::aem::{AemError, Retry};
use crate::ims::certificate::CertError;
use crate::ims::keyfile::KeyFileError;
use crate::ims::token::ImsError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SetupError {
    #[error(transparent)]
    Aem(#[from] AemError),
    #[error(transparent)]
    Ims(#[from] ImsError),
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error(transparent)]
    Upgrade(#[from] UpgradeError),
    #[error(transparent)]
    Bundle(#[from] super::bundle::BundleError),
    /// The precondition does not hold; the message says why and what to do.
    #[error("{0}")]
    Refused(String),
    /// The author is already as asked: nothing to write (a re-run, not a failure).
    #[error("{0}")]
    Unneeded(String),
    /// Input that cannot be used, every problem listed.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// A local file could not be read or written.
    #[error("{0}")]
    Local(String),
    /// Stopped between two steps as asked (Ctrl-C, SIGTERM, Esc): what was done and the way
    /// back.
    #[error("{0}")]
    Interrupted(Box<super::stop::Interrupted>),
}

/// What kind of failure an error is, for decisions that must not depend on wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad input or configuration: fix the command or the form (exit code 2).
    Usage,
    /// AEM rejected the credentials (401) or refused the request (403): never retried by itself.
    Auth,
    /// Unreachable, timed out, starting up, 5xx: worth retrying later.
    Transient,
    /// Anything else: the action or check failed (exit code 1).
    Failed,
}

impl ErrorClass {
    /// The retry policy of a failed read of this class (see [`Retry`]).
    pub fn retry(self) -> Retry {
        match self {
            ErrorClass::Usage | ErrorClass::Auth => Retry::Never,
            ErrorClass::Transient => Retry::Backoff,
            ErrorClass::Failed => Retry::Slowly,
        }
    }
}

impl SetupError {
    pub fn class(&self) -> ErrorClass {
        match self {
            SetupError::Invalid(_)
            | SetupError::Aem(AemError::Invalid(_) | AemError::ReadOnly { .. })
            | SetupError::Cert(CertError::Validity(_)) => ErrorClass::Usage,
            SetupError::Aem(AemError::Unauthorized { .. } | AemError::Forbidden { .. }) => {
                ErrorClass::Auth
            }
            SetupError::Aem(e) if e.is_transient() => ErrorClass::Transient,
            SetupError::Upgrade(UpgradeError::Aem(e)) if e.is_transient() => ErrorClass::Transient,
            _ => ErrorClass::Failed,
        }
    }

    /// Usage and configuration problems (exit code 2) versus failed checks (1).
    pub fn is_usage(&self) -> bool {
        self.class() == ErrorClass::Usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let unreachable = SetupError::Aem(AemError::Unreachable {
            url: "http://x".into(),
            detail: "refused".into(),
        });
        assert_eq!(unreachable.class(), ErrorClass::Transient);
        let denied = SetupError::Aem(AemError::Unauthorized {
            user: "admin".into(),
        });
        assert_eq!(denied.class(), ErrorClass::Auth);
        assert_eq!(
            SetupError::Invalid(vec!["x".into()]).class(),
            ErrorClass::Usage
        );
        assert_eq!(SetupError::Refused("no".into()).class(), ErrorClass::Failed);
        assert_eq!(
            SetupError::Cert(CertError::Validity(999)).class(),
            ErrorClass::Usage,
            "a validity out of range is bad input"
        );
    }
}
