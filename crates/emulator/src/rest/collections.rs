//! Collections and tables (server routes; the emulator has no API keys): creating, reading
//! and updating them with their permissions.

use super::fields::{
    bool_field, new_id, parse_body, permissions_field, required_string, string_field,
};
use super::flavour::{Face, Flavour};
use super::request::{read, write, ApiRequest};
use super::responses::{created, ok, ApiError, ApiResult};
use crate::ids;
use crate::state::{Collection, Database};
use axum::body::Bytes;
use axum::extract::Path;
use indexmap::IndexMap;

/// `POST /v1/databases/{db}/collections {collectionId, name, permissions?, documentSecurity?}`
/// (and `/v1/tablesdb/{db}/tables` with `tableId`, `rowSecurity`): a container with the given
/// permissions; item security is off unless asked for, as in Appwrite.
pub(super) async fn create_container<F: Face>(
    request: ApiRequest,
    Path(database_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let flavour = F::FLAVOUR;
    let body = parse_body(&body)?;
    let collection_id = new_id(&body, flavour.container_id_param())?;
    let name = required_string(&body, "name")?;
    let container_permissions = permissions_field(&body)?.unwrap_or_default();
    let security = bool_field(&body, flavour.security_param())?.unwrap_or(false);
    write(&request, |project, _| {
        let database = project
            .databases
            .entry(database_id.clone())
            .or_insert_with(|| Database {
                kind: flavour.database_type(),
                collections: IndexMap::new(),
            });
        if database.collections.contains_key(&collection_id) {
            return Err(match flavour {
                Flavour::Documents => ApiError::conflict("collection_already_exists", "Collection with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
                Flavour::Rows => ApiError::conflict("table_already_exists", "Table with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
            });
        }
        let now = ids::now_timestamp();
        let collection = Collection {
            name,
            created_at: now.clone(),
            updated_at: now,
            permissions: container_permissions,
            document_security: security,
            documents: IndexMap::new(),
        };
        let model = flavour.container_model(&database_id, &collection_id, &collection);
        database.collections.insert(collection_id, collection);
        Ok((created(model)?, Vec::new()))
    })
}

pub(super) async fn get_container<F: Face>(
    request: ApiRequest,
    Path((database_id, collection_id)): Path<(String, String)>,
) -> ApiResult {
    read(&request, |project, _| {
        let collection = project
            .databases
            .get(&database_id)
            .and_then(|database| database.collections.get(&collection_id))
            .ok_or_else(|| F::FLAVOUR.container_not_found())?;
        ok(F::FLAVOUR.container_model(&database_id, &collection_id, collection))
    })
}

/// `PUT …/collections/{c} {name, permissions?, documentSecurity?}`: replaces permissions and
/// item security (absent `permissions` keeps them).
pub(super) async fn update_container<F: Face>(
    request: ApiRequest,
    Path((database_id, collection_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let flavour = F::FLAVOUR;
    let body = parse_body(&body)?;
    let name = string_field(&body, "name")?;
    let new_permissions = permissions_field(&body)?;
    let security = bool_field(&body, flavour.security_param())?;
    write(&request, |project, _| {
        let collection = project
            .databases
            .get_mut(&database_id)
            .and_then(|database| database.collections.get_mut(&collection_id))
            .ok_or_else(|| flavour.container_not_found())?;
        if let Some(name) = name {
            collection.name = name;
        }
        if let Some(new_permissions) = new_permissions {
            collection.permissions = new_permissions;
        }
        collection.document_security = security.unwrap_or(false);
        collection.updated_at = ids::now_timestamp();
        let model = flavour.container_model(&database_id, &collection_id, collection);
        Ok((ok(model)?, Vec::new()))
    })
}
