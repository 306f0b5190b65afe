//! The error frame that the realtime handshake, socket loop and message handlers share;
//! `/v1/realtime` itself is split into those three parts below.

mod handshake;
mod messages;
mod presence;
mod socket;
mod subscriptions;

pub(crate) use socket::upgrade;

pub(super) const MISSING_PROJECT_CONTEXT: &str =
    "Missing project context. Reconnect to the project first.";
const SERVER_ERROR: &str = "Error: Server Error";

/// An error frame to send; 1008 also ends the connection.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError {
    pub code: i64,
    pub message: String,
}

impl FrameError {
    pub(super) fn new(code: i64, message: impl Into<String>) -> FrameError {
        FrameError {
            code,
            message: message.into(),
        }
    }

    pub(super) fn format(message: impl Into<String>) -> FrameError {
        FrameError::new(1003, message)
    }
}

pub(super) fn sanitised(
    error: &FrameError,
    production: bool,
    exempt_policy_violation: bool,
) -> String {
    let sensitive = error.code == 0 || error.code >= 500;
    if production && sensitive && !(exempt_policy_violation && error.code == 1008) {
        SERVER_ERROR.to_string()
    } else {
        error.message.clone()
    }
}
