//! The one error type of this crate: [`RealtimeError`], which JS code sees as the class
//! `RealtimeError` (js/exports.js, exported by the package), a real `Error` carrying the
//! server's `code` and a `kind`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/exports.js")]
extern "C" {
    #[wasm_bindgen(js_name = createRealtimeError)]
    fn create_realtime_error(message: &str, code: f64, kind: &str, cause: &JsValue) -> JsValue;
}

/// What an error is about; JS sees [`ErrorKind::as_str`], which the TypeScript union
/// `RealtimeErrorKind` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Invalid input from the caller (bad endpoint, blank channel id, invalid query).
    Invalid,
    /// An `error` frame from the server (its `code` is the server's).
    Server,
    /// The server refused the connection for good (unknown project, bad credentials).
    Terminal,
    /// A frame, or a payload for the Rust API, that could not be understood.
    Protocol,
    /// The connection was lost or closed before the operation completed.
    Closed,
    /// No pong arrived in time; the connection is being re-established.
    PongTimeout,
    /// The server limited the message rate; pending changes are re-sent after the window.
    RateLimited,
    /// A subscription callback threw; other callbacks still ran.
    Callback,
    /// The environment cannot open a WebSocket (no `WebSocket` global, rejected URL).
    Environment,
}

impl ErrorKind {
    /// The name JS code sees as `error.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::Server => "server",
            ErrorKind::Terminal => "terminal",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Closed => "closed",
            ErrorKind::PongTimeout => "pong-timeout",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::Callback => "callback",
            ErrorKind::Environment => "environment",
        }
    }
}

/// Every error this crate returns, rejects a promise with, or reports to `onError`.
#[derive(Clone, Debug, PartialEq)]
pub struct RealtimeError {
    /// The server's code (e.g. 1003, 1008, 401), a close code, or 0.
    pub code: i64,
    /// What the error is about.
    pub kind: ErrorKind,
    /// What happened, in words (the server's own where there are some).
    pub message: String,
    /// The value a callback threw, kept as `cause`.
    pub(crate) cause: Option<JsValue>,
}

impl RealtimeError {
    pub(crate) fn new(kind: ErrorKind, code: i64, message: impl Into<String>) -> Self {
        RealtimeError {
            code,
            kind,
            message: message.into(),
            cause: None,
        }
    }

    pub(crate) fn invalid(message: &str) -> Self {
        RealtimeError::new(ErrorKind::Invalid, 0, message)
    }

    pub(crate) fn from_core(error: &appwrite_realtime_core::ConnectionError) -> Self {
        use appwrite_realtime_core::ErrorKind as Core;
        let kind = match &error.kind {
            Core::Server => ErrorKind::Server,
            Core::Terminal => ErrorKind::Terminal,
            Core::Protocol => ErrorKind::Protocol,
            Core::RateLimited => ErrorKind::RateLimited,
            Core::PongTimeout => ErrorKind::PongTimeout,
            Core::Closed => ErrorKind::Closed,
        };
        RealtimeError::new(kind, error.code, error.message.clone())
    }

    /// The JS `RealtimeError`. Not inlined: every export returning a `Result` converts its
    /// error here, and one copy of this code is much smaller than one per export.
    #[inline(never)]
    pub(crate) fn to_js(&self) -> JsValue {
        let cause = self.cause.clone().unwrap_or(JsValue::UNDEFINED);
        create_realtime_error(&self.message, self.code as f64, self.kind.as_str(), &cause)
    }
}

impl From<RealtimeError> for JsValue {
    #[inline(never)]
    fn from(error: RealtimeError) -> JsValue {
        error.to_js()
    }
}

impl std::fmt::Display for RealtimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, code {})",
            self.message,
            self.kind.as_str(),
            self.code
        )
    }
}

impl std::error::Error for RealtimeError {}
