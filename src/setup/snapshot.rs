//! The integration as it stands on one author. It is read by the one reader
//! (`crate::evidence`); these are its types, as the setup service hands them out.

pub use crate::evidence::ims::{
    AuthType, BP_METASCOPE, BpEvidence, ImsConfig, OauthSupport, mark_brand_portal,
    read_ims_and_clouds, read_ims_configs,
};
pub use crate::evidence::logs::LastOutcome;
pub use crate::evidence::version::{AemInfo, AemVersion};
pub use crate::evidence::view::{
    AgentState, CertificateState, Integration, check_service_url, days_until, java_date_day,
    java_date_rfc3339,
};
