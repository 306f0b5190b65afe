//! What differs between the two REST faces of the same databases (documents under
//! `/databases`, rows under `/tablesdb`): parameter names, models and error texts.

use super::responses::ApiError;
use crate::events::DatabaseType;
use crate::state::{Collection, Document};
use serde_json::{json, Map, Value};

/// Which API a request came through; decides the payload model and, on first use,
/// the database type.
#[derive(Clone, Copy)]
pub(super) enum Flavour {
    Documents,
    Rows,
}

impl Flavour {
    pub(super) fn database_type(self) -> DatabaseType {
        match self {
            Flavour::Documents => DatabaseType::Legacy,
            Flavour::Rows => DatabaseType::TablesDb,
        }
    }

    pub(super) fn id_param(self) -> &'static str {
        match self {
            Flavour::Documents => "documentId",
            Flavour::Rows => "rowId",
        }
    }

    pub(super) fn list_key(self) -> &'static str {
        match self {
            Flavour::Documents => "documents",
            Flavour::Rows => "rows",
        }
    }

    pub(super) fn not_found(self) -> ApiError {
        match self {
            Flavour::Documents => ApiError::not_found(
                "document_not_found",
                "Document with the requested ID could not be found.",
            ),
            Flavour::Rows => ApiError::not_found(
                "row_not_found",
                "Row with the requested ID could not be found.",
            ),
        }
    }

    pub(super) fn model(
        self,
        database_id: &str,
        collection_id: &str,
        document: &Document,
    ) -> Value {
        let mut object = Map::new();
        object.insert("$id".into(), json!(document.id));
        object.insert("$sequence".into(), json!(document.sequence.to_string()));
        let parent_key = match self {
            Flavour::Documents => "$collectionId",
            Flavour::Rows => "$tableId",
        };
        object.insert(parent_key.into(), json!(collection_id));
        object.insert("$databaseId".into(), json!(database_id));
        object.insert("$createdAt".into(), json!(document.created_at));
        object.insert("$updatedAt".into(), json!(document.updated_at));
        object.insert("$permissions".into(), json!(document.permissions));
        for (key, value) in &document.data {
            if !key.starts_with('$') {
                object.insert(key.clone(), value.clone());
            }
        }
        Value::Object(object)
    }

    pub(super) fn container_id_param(self) -> &'static str {
        match self {
            Flavour::Documents => "collectionId",
            Flavour::Rows => "tableId",
        }
    }

    pub(super) fn security_param(self) -> &'static str {
        match self {
            Flavour::Documents => "documentSecurity",
            Flavour::Rows => "rowSecurity",
        }
    }

    pub(super) fn container_not_found(self) -> ApiError {
        match self {
            Flavour::Documents => ApiError::not_found(
                "collection_not_found",
                "Collection with the requested ID could not be found.",
            ),
            Flavour::Rows => ApiError::not_found(
                "table_not_found",
                "Table with the requested ID could not be found.",
            ),
        }
    }

    pub(super) fn container_model(
        self,
        database_id: &str,
        collection_id: &str,
        collection: &Collection,
    ) -> Value {
        let mut object = Map::new();
        object.insert("$id".into(), json!(collection_id));
        object.insert("$createdAt".into(), json!(collection.created_at));
        object.insert("$updatedAt".into(), json!(collection.updated_at));
        object.insert("$permissions".into(), json!(collection.permissions));
        object.insert("databaseId".into(), json!(database_id));
        object.insert("name".into(), json!(collection.name));
        object.insert("enabled".into(), json!(true));
        object.insert(
            self.security_param().into(),
            json!(collection.document_security),
        );
        let (fields, indexes) = match self {
            Flavour::Documents => ("attributes", "indexes"),
            Flavour::Rows => ("columns", "indexes"),
        };
        object.insert(fields.into(), json!([]));
        object.insert(indexes.into(), json!([]));
        Value::Object(object)
    }
}

/// The REST face a route serves: documents (`/databases`) or rows (`/tablesdb`) of the same data.
pub(super) trait Face {
    const FLAVOUR: Flavour;
}

pub(super) struct DocumentsFace;
impl Face for DocumentsFace {
    const FLAVOUR: Flavour = Flavour::Documents;
}

pub(super) struct RowsFace;
impl Face for RowsFace {
    const FLAVOUR: Flavour = Flavour::Rows;
}
