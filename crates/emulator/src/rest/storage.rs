//! Storage: buckets (a server route) and their files, uploads included, with the
//! permission checks and `buckets.*` events of each.

use super::access::{allowed, caller_roles, check_grantable, item_allows, unauthorized};
use super::fields::{
    bool_field, new_id, parse_body, permissions_field, required_string, string_field,
};
use super::request::{header_text, publication, read, write, ApiRequest, Caller};
use super::responses::{created, no_content, ok, ApiError, ApiResult};
use crate::events::EventNames;
use crate::ids;
use crate::multipart;
use crate::permissions;
use crate::state::{Bucket, Project, Publication};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::HeaderMap;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};

/// `POST /v1/storage/buckets {bucketId, name, permissions?, fileSecurity?}`.
pub(super) async fn create_bucket(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let bucket_id = new_id(&body, "bucketId")?;
    let name = required_string(&body, "name")?;
    let bucket_permissions = permissions_field(&body)?.unwrap_or_default();
    let file_security = bool_field(&body, "fileSecurity")?.unwrap_or(false);
    write(&request, |project, _| {
        if project.buckets.contains_key(&bucket_id) {
            return Err(ApiError::conflict(
                "storage_bucket_already_exists",
                "A storage bucket with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID.",
            ));
        }
        let now = ids::now_timestamp();
        let model = json!({
            "$id": bucket_id,
            "$createdAt": now,
            "$updatedAt": now,
            "$permissions": bucket_permissions,
            "fileSecurity": file_security,
            "name": name,
            "enabled": true,
            "maximumFileSize": 30_000_000,
            "allowedFileExtensions": [],
            "compression": "none",
            "encryption": true,
            "antivirus": true,
            "transformations": true,
            "totalSize": 0,
        });
        project.buckets.insert(
            bucket_id,
            Bucket {
                permissions: bucket_permissions,
                file_security,
                files: IndexMap::new(),
            },
        );
        Ok((created(model)?, Vec::new()))
    })
}

fn bucket_mut<'a>(project: &'a mut Project, bucket_id: &str) -> &'a mut Bucket {
    project
        .buckets
        .entry(bucket_id.to_string())
        .or_insert_with(|| Bucket {
            permissions: permissions::open_container(false),
            file_security: true,
            files: IndexMap::new(),
        })
}

fn file_publication(
    caller: &Caller,
    bucket_id: &str,
    bucket: &Bucket,
    file: &Map<String, Value>,
    action: &str,
) -> Publication {
    let file_id = file.get("$id").and_then(Value::as_str).unwrap_or_default();
    let pattern = format!("buckets.[bucketId].files.[fileId].{action}");
    let names = EventNames::from_pattern(
        &pattern,
        &[("bucketId", bucket_id), ("fileId", file_id)],
        &caller.project,
    );
    let mut read_permissions = bucket.permissions.clone();
    if bucket.file_security {
        let file_permissions: Vec<String> = file
            .get("$permissions")
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default();
        read_permissions.extend(file_permissions);
    }
    publication(
        caller,
        names,
        permissions::read_roles(&read_permissions),
        Value::Object(file.clone()),
    )
}

fn file_permissions(file: &Map<String, Value>) -> Vec<String> {
    file.get("$permissions")
        .and_then(|value| serde_json::from_value(value.clone()).ok())
        .unwrap_or_default()
}

/// Whether the caller may `action` an existing file (bucket permission, or the file's own
/// when file security is on).
fn file_allows(roles: &[String], bucket: &Bucket, file: &Map<String, Value>, action: &str) -> bool {
    item_allows(
        roles,
        (&bucket.permissions, bucket.file_security),
        &file_permissions(file),
        action,
    )
}

/// Reads need bucket read, or file security (then each file decides).
fn bucket_readable(roles: &[String], bucket: &Bucket) -> bool {
    bucket.file_security || allowed(roles, &bucket.permissions, "read")
}

fn file_not_found() -> ApiError {
    ApiError::not_found(
        "storage_file_not_found",
        "The requested file could not be found.",
    )
}

/// The form fields of an upload (`permissions[]` parts gathered into a `permissions` list)
/// and its `file` part. A JSON body (metadata only, no content) is accepted too.
fn file_upload(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Map<String, Value>, Option<multipart::Part>), ApiError> {
    let Some(boundary) = header_text(headers, "content-type").and_then(multipart::boundary) else {
        return Ok((parse_body(body)?, None));
    };
    let parts = multipart::parse(body, &boundary)
        .ok_or_else(|| ApiError::bad_request("Request body is not valid multipart/form-data."))?;
    let mut fields = Map::new();
    let mut file = None;
    for part in parts {
        if part.name == "file" {
            file = Some(part);
            continue;
        }
        let text = Value::String(String::from_utf8_lossy(&part.data).into_owned());
        match part.name.strip_suffix("[]") {
            Some(list_name) => match fields.get_mut(list_name) {
                Some(Value::Array(items)) => items.push(text),
                _ => {
                    fields.insert(list_name.to_string(), Value::Array(vec![text]));
                }
            },
            None => {
                fields.insert(part.name, text);
            }
        }
    }
    if file.is_none() {
        return Err(ApiError::bad_request_of_kind(
            "storage_file_empty",
            "Empty file passed to the endpoint.",
        ));
    }
    Ok((fields, file))
}

pub(super) async fn create_file(
    request: ApiRequest,
    Path(bucket_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let (body, upload) = file_upload(&request.headers, &body)?;
    let file_id = new_id(&body, "fileId")?;
    let uploaded_name = upload.as_ref().and_then(|file| file.filename.clone());
    let name = string_field(&body, "name")?
        .or(uploaded_name)
        .unwrap_or_else(|| file_id.clone());
    let uploaded_type = upload.as_ref().and_then(|file| file.content_type.clone());
    let mime_type = string_field(&body, "mimeType")?
        .or(uploaded_type)
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let size = match &upload {
        Some(file) => file.data.len() as u64,
        None => body.get("size").and_then(Value::as_u64).unwrap_or(0),
    };
    let requested_permissions = permissions_field(&body)?;
    let open = request.emulator.config.no_permissions;
    write(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let file_permissions = requested_permissions.clone().unwrap_or_else(|| {
            caller
                .user_id
                .as_deref()
                .map(permissions::creator_defaults)
                .unwrap_or_default()
        });
        let bucket = bucket_mut(project, &bucket_id);
        check_grantable(caller, &roles, requested_permissions.as_deref(), open)?;
        if !open && !allowed(&roles, &bucket.permissions, "create") {
            return Err(unauthorized());
        }
        if bucket.files.contains_key(&file_id) {
            return Err(ApiError::conflict(
                "storage_file_already_exists",
                "A storage file with the requested ID already exists.",
            ));
        }
        let now = ids::now_timestamp();
        let file = json!({
            "$id": file_id,
            "bucketId": bucket_id,
            "$createdAt": now,
            "$updatedAt": now,
            "$permissions": file_permissions,
            "name": name,
            "signature": ids::random_hex(32),
            "mimeType": mime_type,
            "sizeOriginal": size,
            "chunksTotal": 1,
            "chunksUploaded": 1,
        });
        let Value::Object(file) = file else {
            return Err(ApiError::bad_request("file model"));
        };
        bucket.files.insert(file_id.clone(), file.clone());
        let event = file_publication(caller, &bucket_id, bucket, &file, "create");
        Ok((created(Value::Object(file))?, vec![event]))
    })
}

pub(super) async fn list_files(request: ApiRequest, Path(bucket_id): Path<String>) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let mut files: Vec<Value> = Vec::new();
        if let Some(bucket) = project.buckets.get(&bucket_id) {
            if !open && !bucket_readable(&roles, bucket) {
                return Err(unauthorized());
            }
            files = bucket
                .files
                .values()
                .filter(|file| open || file_allows(&roles, bucket, file, "read"))
                .cloned()
                .map(Value::Object)
                .collect();
        }
        ok(json!({"total": files.len(), "files": files}))
    })
}

pub(super) async fn get_file(
    request: ApiRequest,
    Path((bucket_id, file_id)): Path<(String, String)>,
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let bucket = project.buckets.get(&bucket_id).ok_or_else(file_not_found)?;
        if !open && !bucket_readable(&roles, bucket) {
            return Err(unauthorized());
        }
        let file = bucket
            .files
            .get(&file_id)
            .filter(|file| open || file_allows(&roles, bucket, file, "read"))
            .ok_or_else(file_not_found)?;
        ok(Value::Object(file.clone()))
    })
}

pub(super) async fn update_file(
    request: ApiRequest,
    Path((bucket_id, file_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let name = string_field(&body, "name")?;
    let new_permissions = permissions_field(&body)?;
    let open = request.emulator.config.no_permissions;
    write(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let bucket = bucket_mut(project, &bucket_id);
        let permitted = bucket
            .files
            .get(&file_id)
            .is_none_or(|file| file_allows(&roles, bucket, file, "update"));
        if bucket.files.contains_key(&file_id) {
            check_grantable(caller, &roles, new_permissions.as_deref(), open)?;
        }
        if !open && !permitted {
            return Err(unauthorized());
        }
        let file = bucket.files.get_mut(&file_id).ok_or_else(file_not_found)?;
        if let Some(name) = name {
            file.insert("name".into(), json!(name));
        }
        if let Some(new_permissions) = new_permissions {
            file.insert("$permissions".into(), json!(new_permissions));
        }
        file.insert("$updatedAt".into(), json!(ids::now_timestamp()));
        let file = file.clone();
        let event = file_publication(caller, &bucket_id, bucket, &file, "update");
        Ok((ok(Value::Object(file))?, vec![event]))
    })
}

pub(super) async fn delete_file(
    request: ApiRequest,
    Path((bucket_id, file_id)): Path<(String, String)>,
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    write(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let bucket = bucket_mut(project, &bucket_id);
        let permitted = bucket
            .files
            .get(&file_id)
            .is_none_or(|file| file_allows(&roles, bucket, file, "delete"));
        if !open && !permitted {
            return Err(unauthorized());
        }
        let file = bucket
            .files
            .shift_remove(&file_id)
            .ok_or_else(file_not_found)?;
        let event = file_publication(caller, &bucket_id, bucket, &file, "delete");
        Ok((no_content()?, vec![event]))
    })
}
