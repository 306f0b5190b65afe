//! Documents and rows: creating, reading, listing, changing and deleting them, with the
//! permission checks and events of each.

use super::access::{allowed, caller_roles, check_grantable, item_allows, unauthorized};
use super::fields::{new_id, parse_body, permissions_field};
use super::flavour::{Face, Flavour};
use super::list_queries::{self, Access};
use super::request::{publication, read, write, ApiRequest, Caller};
use super::responses::{created, no_content, ok, ApiError, ApiResult};
use crate::events::{DatabaseType, EventNames};
use crate::ids;
use crate::permissions;
use crate::state::{Collection, Database, Document, Project, Publication};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use indexmap::IndexMap;
use serde_json::{Map, Value};

fn collection_mut<'a>(
    project: &'a mut Project,
    flavour: Flavour,
    database_id: &str,
    collection_id: &str,
) -> (DatabaseType, &'a mut Collection) {
    let database = project
        .databases
        .entry(database_id.to_string())
        .or_insert_with(|| Database {
            kind: flavour.database_type(),
            collections: IndexMap::new(),
        });
    let kind = database.kind;
    let collection = database
        .collections
        .entry(collection_id.to_string())
        .or_insert_with(|| Collection {
            name: collection_id.to_string(),
            created_at: ids::now_timestamp(),
            updated_at: ids::now_timestamp(),
            permissions: permissions::open_container(false),
            document_security: true,
            documents: IndexMap::new(),
        });
    (kind, collection)
}

fn document_publication(
    caller: &Caller,
    flavour: Flavour,
    kind: DatabaseType,
    (database_id, collection_id): (&str, &str),
    collection: &Collection,
    document: &Document,
    action: &str,
) -> Publication {
    let names = EventNames::for_document(kind, database_id, collection_id, &document.id, action);
    let mut read_permissions = collection.permissions.clone();
    if collection.document_security {
        read_permissions.extend(document.permissions.iter().cloned());
    }
    publication(
        caller,
        names,
        permissions::read_roles(&read_permissions),
        flavour.model(database_id, collection_id, document),
    )
}

/// What a document's own permissions are checked within: the collection's, and whether
/// documents have permissions of their own.
fn container(collection: &Collection) -> (&[String], bool) {
    (
        collection.permissions.as_slice(),
        collection.document_security,
    )
}

/// A new document; without `permissions`, its creator's defaults (none for a guest).
fn new_document(
    id: &str,
    sequence: u64,
    permissions: Option<Vec<String>>,
    creator: Option<&str>,
    data: Map<String, Value>,
) -> Document {
    let now = ids::now_timestamp();
    Document {
        id: id.to_string(),
        sequence,
        created_at: now.clone(),
        updated_at: now,
        permissions: permissions.unwrap_or_else(|| {
            creator
                .map(permissions::creator_defaults)
                .unwrap_or_default()
        }),
        data,
    }
}

fn data_field(body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    match body.get("data") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(data)) => Ok(data.clone()),
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Object(data)) => Ok(data),
            _ => Err(ApiError::bad_request(
                "Invalid `data` param: Value must be a valid JSON object",
            )),
        },
        Some(_) => Err(ApiError::bad_request(
            "Invalid `data` param: Value must be a valid JSON object",
        )),
    }
}

fn create_in(
    request: &ApiRequest,
    flavour: Flavour,
    ids_in_path: (String, String),
    body: &Bytes,
) -> ApiResult {
    let body = parse_body(body)?;
    let document_id = new_id(&body, flavour.id_param())?;
    let data = data_field(&body)?;
    let requested_permissions = permissions_field(&body)?;
    let (database_id, collection_id) = ids_in_path;
    let open = request.emulator.config.no_permissions;
    write(request, |project, caller| {
        let roles = caller_roles(project, caller);
        let sequence = project.next_sequence();
        let (kind, collection) = collection_mut(project, flavour, &database_id, &collection_id);
        check_grantable(caller, &roles, requested_permissions.as_deref(), open)?;
        if !open && !allowed(&roles, &collection.permissions, "create") {
            return Err(unauthorized());
        }
        if collection.documents.contains_key(&document_id) {
            return Err(match flavour {
                Flavour::Documents => ApiError::conflict("document_already_exists", "Document with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
                Flavour::Rows => ApiError::conflict("row_already_exists", "Row with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
            });
        }
        let document = new_document(
            &document_id,
            sequence,
            requested_permissions.clone(),
            caller.user_id.as_deref(),
            data,
        );
        collection
            .documents
            .insert(document.id.clone(), document.clone());
        let event = document_publication(
            caller,
            flavour,
            kind,
            (&database_id, &collection_id),
            collection,
            &document,
            "create",
        );
        Ok((
            created(flavour.model(&database_id, &collection_id, &document))?,
            vec![event],
        ))
    })
}

/// PATCH (merge, must exist) or PUT (upsert).
fn change_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id, document_id): (String, String, String),
    body: &Bytes,
    upsert: bool,
) -> ApiResult {
    let body = parse_body(body)?;
    let data = data_field(&body)?;
    let new_permissions = permissions_field(&body)?;
    let open = request.emulator.config.no_permissions;
    write(request, |project, caller| {
        let roles = caller_roles(project, caller);
        let sequence = project.next_sequence();
        let (kind, collection) = collection_mut(project, flavour, &database_id, &collection_id);
        let now = ids::now_timestamp();
        let container = container(collection);
        let permitted = match collection.documents.get(&document_id) {
            Some(document) => item_allows(&roles, container, &document.permissions, "update"),
            None => !upsert || allowed(&roles, container.0, "create"),
        };
        if upsert || collection.documents.contains_key(&document_id) {
            check_grantable(caller, &roles, new_permissions.as_deref(), open)?;
        }
        if !open && !permitted {
            return Err(unauthorized());
        }
        let document = match collection.documents.get_mut(&document_id) {
            Some(document) => {
                if upsert {
                    document.data = data;
                } else {
                    document.data.extend(data);
                }
                if let Some(new_permissions) = new_permissions {
                    document.permissions = new_permissions;
                }
                document.updated_at = now;
                document.clone()
            }
            None if upsert => {
                let document = new_document(
                    &document_id,
                    sequence,
                    new_permissions,
                    caller.user_id.as_deref(),
                    data,
                );
                collection
                    .documents
                    .insert(document.id.clone(), document.clone());
                document
            }
            None => return Err(flavour.not_found()),
        };
        let action = if upsert { "upsert" } else { "update" };
        let event = document_publication(
            caller,
            flavour,
            kind,
            (&database_id, &collection_id),
            collection,
            &document,
            action,
        );
        Ok((
            ok(flavour.model(&database_id, &collection_id, &document))?,
            vec![event],
        ))
    })
}

fn delete_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id, document_id): (String, String, String),
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    write(request, |project, caller| {
        let roles = caller_roles(project, caller);
        let (kind, collection) = collection_mut(project, flavour, &database_id, &collection_id);
        let container = container(collection);
        let permitted = collection
            .documents
            .get(&document_id)
            .is_none_or(|document| item_allows(&roles, container, &document.permissions, "delete"));
        if !open && !permitted {
            return Err(unauthorized());
        }
        let document = collection
            .documents
            .shift_remove(&document_id)
            .ok_or_else(|| flavour.not_found())?;
        let event = document_publication(
            caller,
            flavour,
            kind,
            (&database_id, &collection_id),
            collection,
            &document,
            "delete",
        );
        Ok((no_content()?, vec![event]))
    })
}

fn get_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id, document_id): (String, String, String),
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(request, |project, caller| {
        let collection = project
            .databases
            .get(&database_id)
            .and_then(|database| database.collections.get(&collection_id))
            .ok_or_else(|| flavour.not_found())?;
        let roles = caller_roles(project, caller);
        let container = container(collection);
        if !open && !container.1 && !allowed(&roles, container.0, "read") {
            return Err(unauthorized());
        }
        let document = collection
            .documents
            .get(&document_id)
            .filter(|document| {
                open || item_allows(&roles, container, &document.permissions, "read")
            })
            .ok_or_else(|| flavour.not_found())?;
        ok(flavour.model(&database_id, &collection_id, document))
    })
}

/// `GET …/documents` and `GET …/rows`: the readable entries that match `queries[]`, one page.
/// A collection nobody has written to yet lists as empty.
fn list_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id): (String, String),
    raw_query: Option<&str>,
) -> ApiResult {
    // Parsed and validated before the lock is taken; reported after the project and caller
    // checks, as Appwrite validates parameters after its init hooks.
    let list = list_queries::read(raw_query);
    let open = request.emulator.config.no_permissions;
    read(request, |project, caller| {
        let list = list?;
        let roles = caller_roles(project, caller);
        let collection = project
            .databases
            .get(&database_id)
            .and_then(|database| database.collections.get(&collection_id));
        let may_list = collection.is_none_or(|collection| {
            let container = container(collection);
            open || container.1 || allowed(&roles, container.0, "read")
        });
        let may_read = |document: &Document| {
            open || collection.is_some_and(|collection| {
                item_allows(&roles, container(collection), &document.permissions, "read")
            })
        };
        list_queries::respond(
            list,
            flavour,
            (&database_id, &collection_id),
            collection,
            Access {
                may_list,
                may_read: &may_read,
            },
        )
    })
}

pub(super) async fn create_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    create_in(&request, F::FLAVOUR, path, &body)
}

pub(super) async fn list_entries<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
    RawQuery(raw_query): RawQuery,
) -> ApiResult {
    list_in(&request, F::FLAVOUR, path, raw_query.as_deref())
}

pub(super) async fn get_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
) -> ApiResult {
    get_in(&request, F::FLAVOUR, path)
}

pub(super) async fn update_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    change_in(&request, F::FLAVOUR, path, &body, false)
}

pub(super) async fn upsert_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    change_in(&request, F::FLAVOUR, path, &body, true)
}

pub(super) async fn delete_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
) -> ApiResult {
    delete_in(&request, F::FLAVOUR, path)
}
