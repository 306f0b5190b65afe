//! The document and row lists' parameters (`queries[]`, `total`) and the page they select, in
//! the order Appwrite 1.9's `listDocuments`/`listRows` (`Databases/Collections/Documents/
//! XList.php`) checks them: the parameters, parsing, the first cursor, the cursor document,
//! the queries (`Database::find`), read access, NULLs under the cursor, then the page.
//!
//! Supported: every filter of [`crate::db_query`] (`equal`, `notEqual`, `lessThan`,
//! `lessThanEqual`, `greaterThan`, `greaterThanEqual`, `isNull`, `isNotNull`, `between`,
//! `notBetween`, `startsWith`, `notStartsWith`, `endsWith`, `notEndsWith`, `contains`,
//! `containsAny`, `containsAll`, `notContains`, `and`, `or`); `orderAsc`, `orderDesc`,
//! `orderRandom`; `limit`, `offset`, `cursorAfter`, `cursorBefore`; `select`, applied. Methods
//! that need a schema or index the emulator lacks fail with the server's text (`search`,
//! spatial, vector, `elemMatch`) or its 500 (`exists`, `notExists`).
//!
//! All parsing and validation happens before the state lock; under it the work is one pass
//! over the collection and one sort, for at most 100 queries of 4,096 characters.

use super::access::unauthorized;
use super::flavour::Flavour;
use super::query_rules::{count_value, cursor_id, kind, validate, Kind, Rejection};
use super::responses::{ok, ApiError, ApiResult};
use crate::db_order::{window, CursorSide, OrderTerm};
use crate::db_query::{field, matches_all};
use crate::php_query::{self, PhpParam};
use crate::queries::{parse_query, Query, QueryError, QueryValues};
use crate::state::{Collection, Document};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// `APP_LIMIT_ARRAY_PARAMS_SIZE` and `APP_LIMIT_ARRAY_ELEMENT_SIZE`.
const MAX_QUERIES: usize = 100;
const MAX_QUERY_CHARS: usize = 4096;
/// `APP_LIMIT_LIST_DEFAULT`, the adapter's default page.
const DEFAULT_LIMIT: usize = 25;
/// `APP_LIMIT_COUNT`: `total` counts at most this many matches.
const MAX_TOTAL: usize = 5000;

/// A list request, parsed and checked as far as it can be without the collection.
pub(super) struct ListQuery {
    /// The first cursor: its document is looked up before the queries are validated.
    cursor: Option<(String, CursorSide)>,
    /// The rest, or the error `Database::find` would raise once the cursor is found.
    plan: Result<Plan, ApiError>,
}

struct Plan {
    filters: Vec<Query>,
    terms: Vec<OrderTerm>,
    limit: usize,
    offset: usize,
    /// User attributes to keep; `None` keeps all.
    selection: Option<Vec<String>>,
    include_total: bool,
    /// A query MariaDB refuses at run time (`exists`, a nested `search`): a 500.
    fails_in_adapter: bool,
}

fn query_invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request_of_kind("general_query_invalid", message)
}

fn server_error() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "general_unknown",
        "Server Error",
    )
}

/// Reads `queries[]` and `total` from the raw query string (PHP's `$_GET` rules).
pub(super) fn read(raw_query: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut params = php_query::parse(raw_query.unwrap_or_default());
    let texts = query_strings(params.shift_remove("queries"))?;
    let include_total = total_param(params.shift_remove("total"))?;
    let mut queries = Vec::with_capacity(texts.len());
    for text in &texts {
        match parse_query(text) {
            Ok(query) => queries.push(query),
            Err(QueryError::Invalid(message)) => return Err(query_invalid(message)),
            Err(QueryError::Internal(_)) => return Err(server_error()),
        }
    }
    default_order_attribute(&mut queries);
    let cursor = match queries
        .iter()
        .find(|query| kind(&query.method) == Kind::Cursor)
    {
        None => None,
        Some(query) => {
            let QueryValues::Scalars(values) = &query.values else {
                return Err(server_error());
            };
            let id = cursor_id(values.first()).map_err(query_invalid)?;
            let side = match query.method.as_str() {
                "cursorBefore" => CursorSide::Before,
                _ => CursorSide::After,
            };
            Some((id, side))
        }
    };
    let plan = match validate(&queries) {
        Ok(()) => Ok(plan(queries, include_total)),
        Err(Rejection::Invalid(message)) => Err(query_invalid(message)),
        Err(Rejection::Internal) => Err(server_error()),
    };
    Ok(ListQuery { cursor, plan })
}

/// `ArrayList(Text(4096), 100)`: a PHP array of 1 to 4,096-character strings, at most 100.
fn query_strings(param: Option<PhpParam>) -> Result<Vec<String>, ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "Invalid `queries` param: Value must a valid array no longer than {MAX_QUERIES} items and Value must be a valid string and at least 1 chars and no longer than {MAX_QUERY_CHARS} chars"
        ))
    };
    let array = match param {
        None => return Ok(Vec::new()),
        Some(PhpParam::Array(array)) => array,
        Some(PhpParam::Text(_)) => return Err(invalid()),
    };
    if array.len() > MAX_QUERIES {
        return Err(invalid());
    }
    let mut texts = Vec::with_capacity(array.len());
    for value in array.values() {
        match value {
            PhpParam::Text(text) if (1..=MAX_QUERY_CHARS).contains(&text.chars().count()) => {
                texts.push(text.clone())
            }
            _ => return Err(invalid()),
        }
    }
    Ok(texts)
}

/// `total`: `Boolean(loose)`. "false" and "0" skip the count (`total: 0`).
fn total_param(param: Option<PhpParam>) -> Result<bool, ApiError> {
    match param {
        None => Ok(true),
        Some(PhpParam::Text(text)) if text == "true" || text == "1" => Ok(true),
        Some(PhpParam::Text(text)) if text == "false" || text == "0" => Ok(false),
        Some(_) => Err(ApiError::bad_request(
            "Invalid `total` param: Value must be a valid boolean",
        )),
    }
}

/// `new Query('orderAsc')` orders by `$sequence` when no attribute is given.
fn default_order_attribute(queries: &mut [Query]) {
    for query in queries {
        if matches!(query.method.as_str(), "orderAsc" | "orderDesc") && query.attribute.is_empty() {
            query.attribute = "$sequence".into();
        }
        if let QueryValues::Nested(children) = &mut query.values {
            default_order_attribute(children);
        }
    }
}

/// `Query::groupByType` on valid queries: the first limit, offset and cursor count; every
/// order counts, and `$sequence` breaks ties unless `$id` or `$sequence` is ordered on.
fn plan(queries: Vec<Query>, include_total: bool) -> Plan {
    let mut plan = Plan {
        filters: Vec::new(),
        terms: Vec::new(),
        limit: DEFAULT_LIMIT,
        offset: 0,
        selection: None,
        include_total,
        fails_in_adapter: queries.iter().any(fails_in_adapter),
    };
    let (mut limit, mut offset, mut selected) = (None, None, Vec::new());
    let mut select_all = false;
    for query in queries {
        match kind(&query.method) {
            Kind::Filter => plan.filters.push(query),
            Kind::Limit => limit = limit.or(Some(count_value(&query))),
            Kind::Offset => offset = offset.or(Some(count_value(&query))),
            Kind::Cursor => {}
            Kind::Order => plan.terms.push(OrderTerm {
                descending: query.method == "orderDesc",
                random: query.method == "orderRandom",
                attribute: query.attribute,
            }),
            Kind::Select => {
                if let QueryValues::Scalars(values) = &query.values {
                    for name in values.iter().filter_map(crate::db_query::php_string) {
                        select_all |= name == "*";
                        selected.push(name);
                    }
                }
            }
        }
    }
    let unique = plan
        .terms
        .iter()
        .any(|term| !term.random && (term.attribute == "$id" || term.attribute == "$sequence"));
    if !unique {
        plan.terms.push(OrderTerm {
            attribute: "$sequence".into(),
            descending: false,
            random: false,
        });
    }
    plan.limit = limit.unwrap_or(DEFAULT_LIMIT);
    plan.offset = offset.unwrap_or(0);
    if !selected.is_empty() && !select_all {
        plan.selection = Some(selected);
    }
    plan
}

fn fails_in_adapter(query: &Query) -> bool {
    match &query.values {
        QueryValues::Nested(children) => children
            .iter()
            .any(|child| child.method == "search" || fails_in_adapter(child)),
        QueryValues::Scalars(_) => matches!(query.method.as_str(), "exists" | "notExists"),
    }
}

/// Who may read what, decided by the caller of [`respond`].
pub(super) struct Access<'a> {
    /// Read on the collection, or document security to fall back on.
    pub(super) may_list: bool,
    pub(super) may_read: &'a dyn Fn(&Document) -> bool,
}

/// The list answer: `{total, documents|rows}`.
pub(super) fn respond(
    list: ListQuery,
    flavour: Flavour,
    (database_id, collection_id): (&str, &str),
    collection: Option<&Collection>,
    access: Access<'_>,
) -> ApiResult {
    // The cursor document is fetched without permission checks.
    let cursor = match &list.cursor {
        None => None,
        Some((id, side)) => {
            let document = collection
                .and_then(|collection| collection.documents.get(id))
                .ok_or_else(|| cursor_not_found(flavour, id))?;
            Some((document, *side))
        }
    };
    let plan = list.plan?;
    if !access.may_list {
        return Err(unauthorized());
    }
    if let Some((document, _)) = cursor {
        for term in plan.terms.iter().filter(|term| !term.random) {
            if field(document, &term.attribute).is_null() {
                return Err(order_null(flavour, &term.attribute));
            }
        }
    }
    if plan.fails_in_adapter {
        return Err(server_error());
    }
    let matching: Vec<&Document> = collection
        .into_iter()
        .flat_map(|collection| collection.documents.values())
        .filter(|document| (access.may_read)(document) && matches_all(&plan.filters, document))
        .collect();
    let total = match plan.include_total {
        true => matching.len().min(MAX_TOTAL),
        false => 0,
    };
    let page = window(matching, &plan.terms, cursor, plan.offset, plan.limit);
    let models: Vec<Value> = page
        .into_iter()
        .map(|document| {
            let mut model = flavour.model(database_id, collection_id, document);
            if let (Some(selection), Value::Object(object)) = (&plan.selection, &mut model) {
                // System attributes always stay (`Database::validateSelections`).
                object.retain(|key, _| key.starts_with('$') || selection.contains(key));
            }
            model
        })
        .collect();
    ok(json!({"total": total, flavour.list_key(): models}))
}

fn cursor_not_found(flavour: Flavour, id: &str) -> ApiError {
    let kind = match flavour {
        Flavour::Documents => "Document",
        Flavour::Rows => "Row",
    };
    ApiError::bad_request_of_kind(
        "general_cursor_not_found",
        format!("{kind} '{id}' for the 'cursor' value not found."),
    )
}

fn order_null(flavour: Flavour, attribute: &str) -> ApiError {
    let (items, what) = match flavour {
        Flavour::Documents => ("documents", "attribute"),
        Flavour::Rows => ("rows", "column"),
    };
    ApiError::bad_request_of_kind(
        "database_query_order_null",
        format!("The order {what} '{attribute}' had a null value. Cursor pagination requires all {items} order {what} values are non-null."),
    )
}
