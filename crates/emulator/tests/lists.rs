//! Issue 32 item 6: REST lists of rows and documents take `queries[]` as Appwrite 1.9 does:
//! filters, orders, limit, offset, cursors, `total`.
mod common;

use common::*;
use serde_json::{json, Value};

const ROWS: &str = "/v1/tablesdb/db/tables/t/rows";

async fn create_row(server: &Server, base: &str, id: &str, data: Value) -> Value {
    let created = http(
        server,
        "POST",
        base,
        &[PROJECT],
        Some(
            json!({"rowId": id, "documentId": id, "data": data, "permissions": ["read(\"any\")"]}),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body
}

async fn list(server: &Server, base: &str, queries: &[Value]) -> Value {
    let listed = http(server, "GET", &list_path(base, queries), &[PROJECT], None).await;
    assert_eq!(listed.status, 200, "{queries:?}: {}", listed.body);
    listed.body
}

async fn row_ids(server: &Server, queries: &[Value]) -> Vec<String> {
    ids(&list(server, ROWS, queries).await, "rows")
}

fn q(method: &str, attribute: &str, values: Value) -> Value {
    json!({"method": method, "attribute": attribute, "values": values})
}

#[tokio::test]
async fn filters_select_rows_with_database_semantics() {
    let server = start_default().await;
    create_row(
        &server,
        ROWS,
        "r1",
        json!({"status": "published", "n": 1, "title": "Alpha", "tags": ["a", "b"], "score": 1.5}),
    )
    .await;
    create_row(
        &server,
        ROWS,
        "r2",
        json!({"status": "draft", "n": 2, "title": "beta", "tags": ["b"], "score": null}),
    )
    .await;
    let r3 = create_row(
        &server,
        ROWS,
        "r3",
        json!({"status": "published", "n": 3, "title": "Gamma ray", "tags": []}),
    )
    .await;
    create_row(
        &server,
        ROWS,
        "r4",
        json!({"status": "archived", "n": 10, "title": "alphabet"}),
    )
    .await;
    create_row(&server, ROWS, "r5", json!({"title": "Delta", "n": null})).await;
    let r3_sequence = r3["$sequence"].as_str().expect("$sequence is a string");

    let cases: Vec<(Vec<Value>, Vec<&str>)> = vec![
        (
            vec![q("equal", "status", json!(["published"]))],
            vec!["r1", "r3"],
        ),
        (
            vec![q("equal", "status", json!(["published", "draft"]))],
            vec!["r1", "r2", "r3"],
        ),
        // NULL (or a missing attribute) is never "not equal".
        (
            vec![q("notEqual", "status", json!(["published"]))],
            vec!["r2", "r4"],
        ),
        (vec![q("lessThan", "n", json!([3]))], vec!["r1", "r2"]),
        (
            vec![q("lessThanEqual", "n", json!([3]))],
            vec!["r1", "r2", "r3"],
        ),
        (vec![q("greaterThan", "n", json!([2]))], vec!["r3", "r4"]),
        (
            vec![q("greaterThanEqual", "n", json!([3.0]))],
            vec!["r3", "r4"],
        ),
        (vec![q("between", "n", json!([2, 3]))], vec!["r2", "r3"]),
        (vec![q("isNull", "status", json!([]))], vec!["r5"]),
        (
            vec![json!({"method": "isNotNull", "attribute": "status"})],
            vec!["r1", "r2", "r3", "r4"],
        ),
        (
            vec![q("isNull", "score", json!([]))],
            vec!["r2", "r3", "r4", "r5"],
        ),
        (vec![q("startsWith", "title", json!(["Al"]))], vec!["r1"]),
        (vec![q("endsWith", "title", json!(["ray"]))], vec!["r3"]),
        (
            vec![q("contains", "title", json!(["pha"]))],
            vec!["r1", "r4"],
        ),
        (vec![q("contains", "tags", json!(["b"]))], vec!["r1", "r2"]),
        (
            vec![
                json!({"method": "or", "values": [q("equal", "status", json!(["draft"])), q("greaterThan", "n", json!([5]))]}),
            ],
            vec!["r2", "r4"],
        ),
        (
            vec![
                json!({"method": "and", "values": [q("equal", "status", json!(["published"])), q("greaterThan", "n", json!([1]))]}),
            ],
            vec!["r3"],
        ),
        // The top-level list is ANDed.
        (
            vec![
                q("equal", "status", json!(["published"])),
                q("lessThan", "n", json!([2])),
            ],
            vec!["r1"],
        ),
        (vec![q("equal", "$id", json!(["r4"]))], vec!["r4"]),
        (
            vec![q("greaterThan", "$sequence", json!([r3_sequence]))],
            vec!["r4", "r5"],
        ),
    ];
    for (queries, expected) in cases {
        assert_eq!(row_ids(&server, &queries).await, expected, "{queries:?}");
    }
    let filtered = list(&server, ROWS, &[q("equal", "status", json!(["published"]))]).await;
    assert_eq!(filtered["total"], 2);
    assert_eq!(filtered["rows"][0]["$sequence"], json!("1"));
    assert_eq!(filtered["rows"][0]["$tableId"], "t");
}

#[tokio::test]
async fn orders_are_stable_with_nulls_first_and_sequence_breaking_ties() {
    let server = start_default().await;
    for (id, data) in [
        ("o1", json!({"g": 2, "name": "b"})),
        ("o2", json!({"g": 1, "name": "a"})),
        ("o3", json!({"g": 2, "name": "a"})),
        ("o4", json!({"g": 1, "name": "a"})),
        ("o5", json!({"g": 3, "name": "c"})),
        ("o6", json!({"name": "z"})),
    ] {
        create_row(&server, ROWS, id, data).await;
    }
    let asc = |attribute: &str| json!({"method": "orderAsc", "attribute": attribute});
    let desc = |attribute: &str| json!({"method": "orderDesc", "attribute": attribute});
    let cases: Vec<(Vec<Value>, Vec<&str>)> = vec![
        (vec![], vec!["o1", "o2", "o3", "o4", "o5", "o6"]),
        (vec![asc("g")], vec!["o6", "o2", "o4", "o1", "o3", "o5"]),
        (vec![desc("g")], vec!["o5", "o1", "o3", "o2", "o4", "o6"]),
        (
            vec![desc("g"), asc("name")],
            vec!["o5", "o3", "o1", "o2", "o4", "o6"],
        ),
        (
            vec![asc("name"), desc("$sequence")],
            vec!["o4", "o3", "o2", "o1", "o5", "o6"],
        ),
        (vec![desc("$id")], vec!["o6", "o5", "o4", "o3", "o2", "o1"]),
        // No attribute: `$sequence`, as `new Query('orderDesc')` defaults.
        (
            vec![json!({"method": "orderDesc"})],
            vec!["o6", "o5", "o4", "o3", "o2", "o1"],
        ),
        (
            vec![
                json!({"method": "limit", "values": [2]}),
                json!({"method": "offset", "values": [1]}),
            ],
            vec!["o2", "o3"],
        ),
        // Only the first limit counts.
        (
            vec![
                json!({"method": "limit", "values": [1]}),
                json!({"method": "limit", "values": [3]}),
            ],
            vec!["o1"],
        ),
    ];
    for (queries, expected) in cases {
        assert_eq!(row_ids(&server, &queries).await, expected, "{queries:?}");
    }
    let mut random = row_ids(&server, &[json!({"method": "orderRandom"})]).await;
    random.sort();
    assert_eq!(random, ["o1", "o2", "o3", "o4", "o5", "o6"]);
}

#[tokio::test]
async fn cursor_and_offset_paging_visit_every_row_exactly_once() {
    let server = start_default().await;
    for n in 0..40 {
        let name = ["x", "y"][n % 2];
        create_row(
            &server,
            ROWS,
            &format!("p{n:02}"),
            json!({"g": n % 4, "name": name}),
        )
        .await;
    }
    let order = vec![
        json!({"method": "orderDesc", "attribute": "g"}),
        json!({"method": "orderAsc", "attribute": "name"}),
    ];
    let limit = |n: u64| json!({"method": "limit", "values": [n]});
    let mut everything = order.clone();
    everything.push(limit(5000));
    let full = row_ids(&server, &everything).await;
    assert_eq!(full.len(), 40);

    let mut forward: Vec<String> = Vec::new();
    loop {
        let mut queries = order.clone();
        queries.push(limit(7));
        if let Some(last) = forward.last() {
            queries.push(json!({"method": "cursorAfter", "values": [last]}));
        }
        let page = list(&server, ROWS, &queries).await;
        assert_eq!(page["total"], 40, "total ignores the page");
        let page = ids(&page, "rows");
        if page.is_empty() {
            break;
        }
        forward.extend(page);
    }
    assert_eq!(forward, full);

    let mut backward = vec![full[39].clone()];
    loop {
        let mut queries = order.clone();
        queries.push(limit(7));
        queries.push(json!({"method": "cursorBefore", "values": [backward[0]]}));
        let page = row_ids(&server, &queries).await;
        if page.is_empty() {
            break;
        }
        backward.splice(0..0, page);
    }
    assert_eq!(backward, full);

    let mut by_offset: Vec<String> = Vec::new();
    for start in (0..=42).step_by(7) {
        let mut queries = order.clone();
        queries.push(limit(7));
        queries.push(json!({"method": "offset", "values": [start]}));
        by_offset.extend(row_ids(&server, &queries).await);
    }
    assert_eq!(by_offset, full);

    // A cursor and an offset together: the offset counts from the cursor.
    let mut queries = order.clone();
    queries.extend([
        limit(2),
        json!({"method": "offset", "values": [1]}),
        json!({"method": "cursorAfter", "values": [full[10]]}),
    ]);
    assert_eq!(row_ids(&server, &queries).await, full[12..14]);
}

#[tokio::test]
async fn total_counts_matches_up_to_5000_and_the_default_page_is_25() {
    let server = start_default().await;
    server.emulator.with_state(|state| {
        let project = state.project_mut("demo").expect("demo project");
        let mut documents = indexmap::IndexMap::new();
        for n in 0..5003u64 {
            let id = format!("b{n}");
            let sequence = project.next_sequence();
            let mut data = serde_json::Map::new();
            data.insert("even".into(), json!(n % 2 == 0));
            documents.insert(
                id.clone(),
                appwrite_realtime_emulator::state::Document {
                    id,
                    sequence,
                    created_at: "2026-01-01T00:00:00.000+00:00".into(),
                    updated_at: "2026-01-01T00:00:00.000+00:00".into(),
                    permissions: vec!["read(\"any\")".into()],
                    data,
                },
            );
        }
        let collection = appwrite_realtime_emulator::state::Collection {
            name: "c".into(),
            created_at: String::new(),
            updated_at: String::new(),
            permissions: Vec::new(),
            document_security: true,
            documents,
        };
        let mut collections = indexmap::IndexMap::new();
        collections.insert("c".to_string(), collection);
        project.databases.insert(
            "big".into(),
            appwrite_realtime_emulator::state::Database {
                kind: appwrite_realtime_emulator::events::DatabaseType::TablesDb,
                collections,
            },
        );
    });
    let base = "/v1/tablesdb/big/tables/c/rows";
    let page = list(&server, base, &[]).await;
    assert_eq!(page["total"], 5000, "APP_LIMIT_COUNT caps the count");
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(25));
    let evens = list(&server, base, &[q("equal", "even", json!([true]))]).await;
    assert_eq!(evens["total"], 2502);
    // Appwrite 1.9 bounds `limit` below only.
    let all = list(
        &server,
        base,
        &[json!({"method": "limit", "values": [6000]})],
    )
    .await;
    assert_eq!(all["rows"].as_array().map(Vec::len), Some(5003));
    let uncounted = http(
        &server,
        "GET",
        &format!("{base}?total=false"),
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(uncounted.body["total"], 0);
    assert_eq!(uncounted.body["rows"].as_array().map(Vec::len), Some(25));
}

#[tokio::test]
async fn documents_list_under_their_own_key_and_select_keeps_system_attributes() {
    let server = start_default().await;
    let base = "/v1/databases/db/collections/c/documents";
    create_row(&server, base, "d1", json!({"title": "one", "body": "long"})).await;
    create_row(
        &server,
        base,
        "d2",
        json!({"title": "two", "body": "longer"}),
    )
    .await;
    let select = json!({"method": "select", "values": ["title"]});
    let listed = list(
        &server,
        base,
        &[select, json!({"method": "orderDesc", "attribute": "title"})],
    )
    .await;
    assert_eq!(ids(&listed, "documents"), ["d2", "d1"]);
    let first = listed["documents"][0].as_object().expect("a document");
    let keys: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "$id",
            "$sequence",
            "$collectionId",
            "$databaseId",
            "$createdAt",
            "$updatedAt",
            "$permissions",
            "title"
        ]
    );
    let everything = list(
        &server,
        base,
        &[json!({"method": "select", "values": ["*"]})],
    )
    .await;
    assert_eq!(everything["documents"][0]["body"], "long");
}
