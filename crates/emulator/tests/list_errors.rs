//! Issue 32 item 6: who sees what in a filtered list, and the errors Appwrite 1.9 answers a
//! list whose queries it refuses.
mod common;

use common::*;
use serde_json::{json, Value};

const ROWS: &str = "/v1/tablesdb/db/tables/t/rows";
const DOCS: &str = "/v1/databases/db/collections/private/documents";

fn cookie_of(token: &str) -> String {
    format!("a_session_demo={token}")
}

#[tokio::test]
async fn a_user_lists_and_counts_only_what_they_may_read() {
    let server = start_default().await;
    let created = http(
        &server,
        "POST",
        "/v1/databases/db/collections",
        &[PROJECT],
        Some(json!({"collectionId": "private", "name": "Private", "permissions": ["create(\"users\")"], "documentSecurity": true})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (_, alice_token) = user_with_session(&server, "alice").await;
    let (_, bob_token) = user_with_session(&server, "bob").await;
    let (alice_cookie, bob_cookie) = (cookie_of(&alice_token), cookie_of(&bob_token));
    let as_alice = [PROJECT, ("Cookie", alice_cookie.as_str())];
    let as_bob = [PROJECT, ("Cookie", bob_cookie.as_str())];
    for (who, id, shared) in [
        ("alice", "a1", false),
        ("bob", "b1", false),
        ("alice", "a2", false),
        ("alice", "s1", true),
        ("bob", "b2", false),
    ] {
        let headers = if who == "alice" { &as_alice } else { &as_bob };
        let mut body =
            json!({"documentId": id, "data": {"kind": if shared { "shared" } else { "own" }}});
        if shared {
            body["permissions"] = json!(["read(\"users\")"]);
        }
        let made = http(&server, "POST", DOCS, headers, Some(body)).await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let own = json!({"method": "equal", "attribute": "kind", "values": ["own"]});
    let listed = http(&server, "GET", &list_path(DOCS, &[]), &as_alice, None).await;
    assert_eq!(ids(&listed.body, "documents"), ["a1", "a2", "s1"]);
    assert_eq!(listed.body["total"], 3);
    let filtered = http(
        &server,
        "GET",
        &list_path(DOCS, std::slice::from_ref(&own)),
        &as_bob,
        None,
    )
    .await;
    assert_eq!(ids(&filtered.body, "documents"), ["b1", "b2"]);
    assert_eq!(filtered.body["total"], 2);
    // Appwrite reads the cursor document without permission checks: bob may page from a1.
    let after = json!({"method": "cursorAfter", "values": ["a1"]});
    let paged = http(&server, "GET", &list_path(DOCS, &[after]), &as_bob, None).await;
    assert_eq!(paged.status, 200, "{}", paged.body);
    assert_eq!(ids(&paged.body, "documents"), ["b1", "s1", "b2"]);
    let guest = http(&server, "GET", &list_path(DOCS, &[own]), &[PROJECT], None).await;
    assert_eq!((guest.status, guest.body["total"].clone()), (200, json!(0)));

    // Without document security and read on the collection: 401, but only after the
    // queries are found valid.
    let closed = http(
        &server,
        "PUT",
        "/v1/databases/db/collections/private",
        &[PROJECT],
        Some(json!({"name": "Private", "permissions": ["create(\"users\")"], "documentSecurity": false})),
    )
    .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    let denied = http(&server, "GET", &list_path(DOCS, &[]), &as_alice, None).await;
    assert_eq!(
        (denied.status, denied.body["type"].clone()),
        (401, json!("user_unauthorized"))
    );
    let bad_limit = list_path(DOCS, &[json!({"method": "limit", "values": [0]})]);
    let invalid_first = http(&server, "GET", &bad_limit, &as_alice, None).await;
    assert_eq!(invalid_first.status, 400, "{}", invalid_first.body);
}

/// (queries, status, type, message) as Appwrite 1.9.6 answers them.
fn refusals() -> Vec<(Vec<Value>, u16, &'static str, String)> {
    let invalid = |queries: Vec<Value>, message: &str| {
        (queries, 400, "general_query_invalid", message.to_string())
    };
    let leaf = |method: &str, attribute: &str, values: Value| json!({"method": method, "attribute": attribute, "values": values});
    let uid = "UID must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, and underscore. Can't start with a leading underscore";
    let max = "9,223,372,036,854,775,807";
    vec![
        invalid(vec![json!("{nope")], "Invalid query: Syntax error"),
        invalid(vec![json!("5")], "Invalid query. Must be an array, got integer"),
        invalid(vec![json!({"method": "bogus"})], "Invalid query method: bogus"),
        invalid(vec![json!({"method": "regex", "attribute": "a", "values": ["x"]})], "Invalid query method: regex"),
        invalid(vec![json!({"method": "limit", "values": [0]})], &format!("Invalid query: Invalid limit: Value must be a valid range between 1 and {max}")),
        invalid(vec![json!({"method": "limit", "values": [2.0]})], &format!("Invalid query: Invalid limit: Value must be a valid range between 1 and {max}")),
        invalid(vec![json!({"method": "limit", "values": ["x"]})], "Invalid query: Invalid limit: Value must be a valid number"),
        invalid(vec![json!({"method": "limit"})], "Invalid query: Invalid limit: Value must be a valid number"),
        invalid(vec![json!({"method": "offset", "values": [-1]})], &format!("Invalid query: Invalid offset: Value must be a valid range between 0 and {max}")),
        invalid(vec![leaf("equal", "a", json!([]))], "Invalid query: Equal queries require at least one value."),
        invalid(vec![leaf("notEqual", "a", json!([1, 2]))], "Invalid query: NotEqual queries require exactly one value."),
        invalid(vec![leaf("between", "a", json!([1]))], "Invalid query: Between queries require exactly two values."),
        invalid(vec![json!({"method": "and", "values": [leaf("equal", "a", json!([1]))]})], "Invalid query: And queries require at least two queries"),
        invalid(
            vec![json!({"method": "or", "values": [leaf("equal", "a", json!([1])), {"method": "limit", "values": [1]}]})],
            "Invalid query: Or queries can only contain filter queries",
        ),
        // Children are checked before their parent.
        invalid(
            vec![json!({"method": "and", "values": [leaf("equal", "a", json!([]))]})],
            "Invalid query: Equal queries require at least one value.",
        ),
        invalid(vec![leaf("equal", "$permissions", json!(["x"]))], "Invalid query: Attribute not found in schema: $permissions"),
        invalid(vec![json!({"method": "orderAsc", "attribute": "$tableId"})], "Invalid query: Attribute not found in schema: $tableId"),
        invalid(vec![leaf("equal", "$sequence", json!(["abc"]))], "Invalid query: Query value is invalid for attribute \"$sequence\""),
        invalid(vec![leaf("contains", "$createdAt", json!(["2026"]))], "Invalid query: Cannot query contains on attribute \"$createdAt\" because it is not an array, string, or object."),
        invalid(vec![leaf("equal", "n", json!((0..501).collect::<Vec<_>>()))], "Invalid query: Query on attribute has greater than 500 values: n"),
        invalid(vec![json!({"method": "select", "values": ["a", "a"]})], "Invalid query: Duplicate attributes selected"),
        invalid(vec![json!({"method": "elemMatch", "attribute": "a", "values": [leaf("equal", "b", json!([1]))]})], "Invalid query: elemMatch is not supported by the database"),
        invalid(vec![leaf("search", "title", json!(["x"]))], "Searching by attribute \"title\" requires a fulltext index."),
        invalid(vec![leaf("crosses", "a", json!([[1, 2]]))], "Invalid query: Spatial query \"crosses\" cannot be applied on non-spatial attribute: a"),
        invalid(vec![json!({"method": "cursorAfter", "values": ["_x"]})], &format!("Invalid cursor: {uid}")),
        invalid(vec![json!({"method": "cursorAfter", "values": [7]})], &format!("Invalid cursor: {uid}")),
        (vec![json!({"method": "cursorAfter", "values": ["nope"]})], 400, "general_cursor_not_found", "Row 'nope' for the 'cursor' value not found.".into()),
        // The cursor document is looked up before the other queries are checked.
        (
            vec![json!({"method": "limit", "values": [0]}), json!({"method": "cursorBefore", "values": ["nope"]})],
            400,
            "general_cursor_not_found",
            "Row 'nope' for the 'cursor' value not found.".into(),
        ),
        (
            vec![json!({"method": "orderAsc", "attribute": "missing"}), json!({"method": "cursorAfter", "values": ["r1"]})],
            400,
            "database_query_order_null",
            "The order column 'missing' had a null value. Cursor pagination requires all rows order column values are non-null.".into(),
        ),
        // MariaDB cannot run these: a 500 in 1.9.
        (vec![leaf("exists", "a", json!(["a"]))], 500, "general_unknown", "Server Error".into()),
        (vec![json!(r#"{"method":"and","values":[1,2]}"#)], 500, "general_unknown", "Server Error".into()),
    ]
}

#[tokio::test]
async fn refused_queries_answer_with_appwrites_errors() {
    let server = start_default().await;
    let made = http(
        &server,
        "POST",
        ROWS,
        &[PROJECT],
        Some(json!({"rowId": "r1", "data": {"a": 1}, "permissions": ["read(\"any\")"]})),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    for (queries, status, kind, message) in refusals() {
        let answer = http(&server, "GET", &list_path(ROWS, &queries), &[PROJECT], None).await;
        assert_eq!(answer.status, status, "{queries:?}: {}", answer.body);
        assert_eq!(answer.body["type"], kind, "{queries:?}");
        assert_eq!(answer.body["message"], message, "{queries:?}");
        assert_eq!(answer.body["code"], status, "{queries:?}");
    }
    let documents = "/v1/databases/db/collections/t/documents";
    let cursor = [json!({"method": "cursorAfter", "values": ["nope"]})];
    let answer = http(
        &server,
        "GET",
        &list_path(documents, &cursor),
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(
        answer.body["message"],
        "Document 'nope' for the 'cursor' value not found."
    );
}

#[tokio::test]
async fn the_queries_parameter_is_bounded_like_appwrites() {
    let server = start_default().await;
    let message = "Invalid `queries` param: Value must a valid array no longer than 100 items and Value must be a valid string and at least 1 chars and no longer than 4096 chars";
    let limit = json!({"method": "limit", "values": [1]});
    let many = list_path(ROWS, &vec![limit.clone(); 101]);
    let long = list_path(ROWS, &[json!(format!("{:<4097}", limit.to_string()))]);
    let nested = format!("{ROWS}?queries%5B0%5D%5Ba%5D=1");
    for path in [
        many,
        long,
        nested,
        format!("{ROWS}?queries=x"),
        format!("{ROWS}?queries%5B%5D="),
    ] {
        let answer = http(&server, "GET", &path, &[PROJECT], None).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert_eq!(answer.body["type"], "general_argument_invalid");
        assert_eq!(answer.body["message"], message);
    }
    let hundred = http(
        &server,
        "GET",
        &list_path(ROWS, &vec![limit; 100]),
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(hundred.status, 200, "{}", hundred.body);
    let total = http(
        &server,
        "GET",
        &format!("{ROWS}?total=maybe"),
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(
        total.body["message"],
        "Invalid `total` param: Value must be a valid boolean"
    );

    // Hostile nesting and sizes end in a 400 or 500, never a panic or a hang.
    let deep = format!(
        "{}{}",
        r#"{"method":"and","values":["#.repeat(140),
        "]}".repeat(140)
    );
    let wide = json!({"method": "or", "values": vec![json!({"method": "equal", "attribute": "a", "values": [1]}); 80]});
    let brackets = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    for query in [
        json!(deep),
        wide,
        json!(brackets),
        json!("\u{0}"),
        json!("1e400"),
    ] {
        let answer = http(
            &server,
            "GET",
            &list_path(ROWS, std::slice::from_ref(&query)),
            &[PROJECT],
            None,
        )
        .await;
        assert!(
            matches!(answer.status, 200 | 400 | 500),
            "{query}: {}",
            answer.status
        );
        assert!(answer.body["message"].is_string() || answer.status == 200);
    }
    let alive = http(&server, "GET", ROWS, &[PROJECT], None).await;
    assert_eq!(alive.status, 200);
}
