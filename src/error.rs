//! The one error type JS code sees: the JS class `RealtimeError` (js/realtime-error.js, exported
//! by the package), a real `Error` carrying the server's `code` and a `kind` string union.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/realtime-error.js")]
extern "C" {
    #[wasm_bindgen(js_name = createRealtimeError)]
    fn create_realtime_error(message: &str, code: f64, kind: &str, cause: &JsValue) -> JsValue;
}

/// Error kinds as JS sees them; the TypeScript union `RealtimeErrorKind` lists the same strings.
pub(crate) mod kind {
    /// Invalid input from the caller (bad endpoint, blank channel id, invalid query).
    pub const INVALID: &str = "invalid";
    /// An `error` frame from the server (its `code` is the server's).
    pub const SERVER: &str = "server";
    /// The server refused the connection for good (unknown project, bad credentials).
    pub const TERMINAL: &str = "terminal";
    /// A frame the SDK could not understand.
    pub const PROTOCOL: &str = "protocol";
    /// The connection was lost or closed before the operation completed.
    pub const CLOSED: &str = "closed";
    /// No pong arrived in time; the connection is being re-established.
    pub const PONG_TIMEOUT: &str = "pong-timeout";
    /// The server limited the message rate; pending changes are re-sent after the window.
    pub const RATE_LIMITED: &str = "rate-limited";
    /// A subscription callback threw; other callbacks still ran.
    pub const CALLBACK: &str = "callback";
    /// The environment cannot open a WebSocket (no `WebSocket` global, rejected URL).
    pub const ENVIRONMENT: &str = "environment";
}

#[derive(Clone, Debug, PartialEq)]
pub struct RealtimeError {
    pub code: i64,
    pub kind: &'static str,
    pub message: String,
    /// The value a callback threw, kept as `cause`.
    pub(crate) cause: Option<JsValue>,
}

impl RealtimeError {
    pub(crate) fn new(kind: &'static str, code: i64, message: impl Into<String>) -> Self {
        RealtimeError {
            code,
            kind,
            message: message.into(),
            cause: None,
        }
    }

    pub(crate) fn invalid(message: &str) -> Self {
        RealtimeError::new(kind::INVALID, 0, message)
    }

    pub(crate) fn from_core(error: &appwrite_realtime_core::ConnectionError) -> Self {
        use appwrite_realtime_core::ErrorKind as Core;
        let kind = match &error.kind {
            Core::Server => kind::SERVER,
            Core::Terminal => kind::TERMINAL,
            Core::Protocol => kind::PROTOCOL,
            Core::RateLimited => kind::RATE_LIMITED,
            Core::PongTimeout => kind::PONG_TIMEOUT,
            Core::Closed => kind::CLOSED,
        };
        RealtimeError::new(kind, error.code, error.message.clone())
    }

    /// Reads back an error this crate rejected a promise with (anything else becomes `closed`).
    pub(crate) fn from_js(value: &JsValue) -> Self {
        let get =
            |name: &str| js_sys::Reflect::get(value, &name.into()).unwrap_or(JsValue::UNDEFINED);
        let known = [
            kind::INVALID,
            kind::SERVER,
            kind::TERMINAL,
            kind::PROTOCOL,
            kind::CLOSED,
            kind::PONG_TIMEOUT,
            kind::RATE_LIMITED,
            kind::CALLBACK,
            kind::ENVIRONMENT,
        ];
        let kind_name = get("kind").as_string().unwrap_or_default();
        let kind = known
            .into_iter()
            .find(|known| *known == kind_name)
            .unwrap_or(kind::CLOSED);
        let code = get("code").as_f64().unwrap_or(0.0) as i64;
        let message = get("message")
            .as_string()
            .unwrap_or_else(|| "unknown error".into());
        RealtimeError::new(kind, code, message)
    }

    /// Not inlined: every export returning a `Result` converts its error here, and one copy
    /// of this code is much smaller than one per export.
    #[inline(never)]
    pub(crate) fn to_js(&self) -> JsValue {
        let cause = self.cause.clone().unwrap_or(JsValue::UNDEFINED);
        create_realtime_error(&self.message, self.code as f64, self.kind, &cause)
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
        write!(f, "{} ({}, code {})", self.message, self.kind, self.code)
    }
}

impl std::error::Error for RealtimeError {}
