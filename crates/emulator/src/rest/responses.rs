//! Appwrite's error body and the success answers that every REST handler returns.

use super::VERSION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Appwrite's error body: `{message, code, type, version}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    pub(super) fn new(
        status: StatusCode,
        kind: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }

    pub(super) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::bad_request_of_kind("general_argument_invalid", message)
    }

    pub(super) fn bad_request_of_kind(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, kind, message)
    }

    pub(super) fn not_found(kind: &'static str, message: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, kind, message)
    }

    pub(super) fn conflict(kind: &'static str, message: &str) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, kind, message)
    }

    pub(super) fn guest() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "general_unauthorized_scope",
            "User (role: guests) missing scopes ([\"account\"])",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"message": self.message, "code": self.status.as_u16(), "type": self.kind, "version": VERSION});
        (self.status, Json(body)).into_response()
    }
}

pub(super) type ApiResult = Result<Response, ApiError>;

pub(super) fn created(value: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

pub(super) fn ok(value: Value) -> ApiResult {
    Ok((StatusCode::OK, Json(value)).into_response())
}

pub(super) fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn user_blocked() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "user_blocked",
        "The current user has been blocked. You can unblock the user by making a request to the User API's \"Update User Status\" endpoint or in the Appwrite Console's Auth section.",
    )
}

pub(super) fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "user_invalid_credentials",
        "Invalid credentials. Please check the email and password.",
    )
}
