//! Live views against a fake table. The oracle is the table listed the way the REST list does it
//! (written here, apart from the view's evaluator), never the view's own bookkeeping:
//! - scripted races: an event before the list answers, a list older than an event, a row that
//!   leaves the filter, a window refilled, a gap, failing lists;
//! - a property test: random writes, events delivered late or lost with a gap, lists answered
//!   late; once everything is delivered, the rows equal the list, and the changes replayed on
//!   the first result give the rows.

use appwrite_realtime_core::live::{
    ChangeKind, EventKind, ListError, LiveView, ViewOutput, ViewQuery, ViewStatus,
};
use appwrite_realtime_core::Instant;
use proptest::prelude::*;
use serde_json::json;
use std::collections::{HashMap, VecDeque};

/// A row of the fake table: `status` is filtered on, `n` ordered by.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    id: String,
    sequence: u64,
    version: u64,
    status: &'static str,
    n: i64,
}

impl Stored {
    fn json(&self) -> String {
        json!({
            "$id": self.id,
            "$sequence": self.sequence.to_string(),
            "$updatedAt": format!("2026-12-07T10:00:{:02}.{:03}+00:00", self.version / 1000, self.version % 1000),
            "status": self.status,
            "n": self.n,
        })
        .to_string()
    }
}

/// `status = published`, by `n` descending, at most `limit`: as the REST list answers it.
fn listed(table: &[Stored], filtered: bool, limit: usize) -> Vec<Stored> {
    let mut rows: Vec<Stored> = table
        .iter()
        .filter(|row| !filtered || row.status == "published")
        .cloned()
        .collect();
    rows.sort_by(|a, b| b.n.cmp(&a.n).then(a.sequence.cmp(&b.sequence)));
    rows.truncate(limit);
    rows
}

fn queries(filtered: bool, limit: usize) -> Vec<String> {
    let mut queries = vec![
        json!({"method":"orderDesc","attribute":"n"}).to_string(),
        json!({"method":"limit","values":[limit]}).to_string(),
    ];
    if filtered {
        queries.push(
            json!({"method":"equal","attribute":"status","values":["published"]}).to_string(),
        );
    }
    queries
}

/// The view, the table, the events on their way and the lists asked for.
struct World {
    view: LiveView<(String, u64)>,
    /// The latest version page code was shown of each row: it never goes back.
    shown: HashMap<String, u64>,
    table: Vec<Stored>,
    next_sequence: u64,
    clock: u64,
    events: VecDeque<(EventKind, Stored)>,
    lists: VecDeque<u64>,
    filtered: bool,
    limit: usize,
    /// The rows at `Loaded`, then every change applied to them in order.
    replayed: Option<Vec<String>>,
    ended: bool,
}

impl World {
    fn new(filtered: bool, limit: usize) -> World {
        let query = ViewQuery::parse(&queries(filtered, limit)).expect("queries a view takes");
        let mut world = World {
            view: LiveView::new(query),
            table: Vec::new(),
            next_sequence: 1,
            clock: 1,
            events: VecDeque::new(),
            lists: VecDeque::new(),
            filtered,
            limit,
            replayed: None,
            ended: false,
            shown: HashMap::new(),
        };
        world.view.start(Instant(0));
        world.drain();
        world
    }

    fn now(&self) -> Instant {
        Instant(self.clock)
    }

    fn drain(&mut self) {
        while let Some(output) = self.view.poll_output() {
            match output {
                ViewOutput::List { request } => self.lists.push_back(request),
                ViewOutput::Loaded => {
                    self.replayed = Some(
                        self.view
                            .rows()
                            .iter()
                            .map(|row| row.id().to_string())
                            .collect(),
                    )
                }
                ViewOutput::Changes(changes) => {
                    let replayed = self
                        .replayed
                        .as_mut()
                        .expect("changes come after the first result");
                    for change in changes {
                        let id = change.row.id().to_string();
                        if change.kind != ChangeKind::Removed {
                            let (_, version) = change.row.payload;
                            let shown = self.shown.entry(id.clone()).or_default();
                            assert!(
                                version >= *shown,
                                "{id} went back from version {shown} to {version}"
                            );
                            *shown = version;
                        }
                        match change.kind {
                            ChangeKind::Removed => {
                                let at = change.old_index.expect("a removal says where from");
                                assert_eq!(replayed.remove(at), id, "removed from where it was");
                            }
                            ChangeKind::Added => {
                                replayed.insert(change.new_index.expect("where to"), id)
                            }
                            ChangeKind::Modified => {
                                let at = change.old_index.expect("a modification says where from");
                                assert_eq!(replayed.remove(at), id, "modified from where it was");
                                replayed.insert(change.new_index.expect("where to"), id);
                            }
                        }
                    }
                }
                ViewOutput::Ended(_) => self.ended = true,
                ViewOutput::Status(_) | ViewOutput::Retrying(_) => {}
            }
        }
    }

    fn write(&mut self, stored: Stored, kind: EventKind) {
        self.clock += 1;
        self.events.push_back((kind, stored));
    }

    fn create(&mut self, status: &'static str, n: i64) {
        let stored = Stored {
            id: format!("r{}", self.next_sequence),
            sequence: self.next_sequence,
            version: self.clock,
            status,
            n,
        };
        self.next_sequence += 1;
        self.table.push(stored.clone());
        self.write(stored, EventKind::Upsert);
    }

    fn update(&mut self, which: usize, status: &'static str, n: i64) {
        if self.table.is_empty() {
            return;
        }
        let index = which % self.table.len();
        let stored = &mut self.table[index];
        stored.version = self.clock;
        stored.status = status;
        stored.n = n;
        let stored = stored.clone();
        self.write(stored, EventKind::Upsert);
    }

    fn delete(&mut self, which: usize) {
        if self.table.is_empty() {
            return;
        }
        let stored = self.table.remove(which % self.table.len());
        self.write(stored, EventKind::Delete);
    }

    fn deliver(&mut self, count: usize) {
        for _ in 0..count {
            let Some((kind, stored)) = self.events.pop_front() else {
                break;
            };
            let row = self
                .view
                .row(&stored.json(), (stored.id.clone(), stored.version))
                .expect("a whole row");
            self.view.event(self.now(), kind, row);
            self.drain();
        }
    }

    /// The server answers the oldest list with the table as it is now.
    fn answer(&mut self, result: Result<(), u16>) {
        let Some(request) = self.lists.pop_front() else {
            return;
        };
        let answer = match result {
            Ok(()) => Ok(listed(&self.table, self.filtered, self.limit)
                .iter()
                .map(|stored| {
                    self.view
                        .row(&stored.json(), (stored.id.clone(), stored.version))
                        .expect("a whole row")
                })
                .collect()),
            Err(status) => Err(ListError {
                status,
                message: format!("status {status}"),
            }),
        };
        self.view.listed(self.now(), request, answer);
        self.drain();
    }

    /// Events lost in a gap, which the view is told of.
    fn gap(&mut self, lost: usize) {
        for _ in 0..lost {
            self.events.pop_front();
        }
        self.view.gap(self.now());
        self.drain();
    }

    fn settle(&mut self) {
        for _ in 0..50 {
            self.deliver(usize::MAX);
            if let Some(at) = self.view.poll_timeout() {
                self.clock = self.clock.max(at.0);
                self.view.handle_timeout(self.now());
                self.drain();
            }
            self.answer(Ok(()));
        }
    }

    fn ids(&self) -> Vec<String> {
        self.view
            .rows()
            .iter()
            .map(|row| row.id().to_string())
            .collect()
    }

    fn expected(&self) -> Vec<String> {
        listed(&self.table, self.filtered, self.limit)
            .into_iter()
            .map(|row| row.id)
            .collect()
    }
}

#[test]
fn an_event_before_the_first_list_answers_is_applied_after_it_only_if_newer() {
    let mut world = World::new(false, 10);
    world.create("published", 1);
    world.deliver(1); // before the list: kept
    world.update(0, "published", 5);
    world.answer(Ok(())); // lists n = 5
    world.deliver(1); // the same version again: nothing moves
    assert_eq!(world.ids(), world.expected());
    assert_eq!(world.view.status(), ViewStatus::Synced);
    world.update(0, "published", 7);
    world.deliver(1);
    assert_eq!(world.replayed.as_ref(), Some(&world.ids()));
}

#[test]
fn a_row_that_leaves_the_filter_leaves_the_view() {
    let mut world = World::new(true, 10);
    world.answer(Ok(()));
    world.create("published", 1);
    world.create("draft", 2);
    world.deliver(2);
    assert_eq!(world.ids(), vec!["r1"]);
    world.update(0, "draft", 1);
    world.deliver(1);
    assert!(
        world.ids().is_empty(),
        "the server sends no event for it under a filtered subscription"
    );
    assert_eq!(world.replayed.as_ref(), Some(&world.ids()));
}

#[test]
fn a_full_window_is_refilled_from_the_list_when_a_removal_leaves_it_short() {
    let mut world = World::new(false, 3);
    for n in 0..5 {
        world.create("published", n);
    }
    world.answer(Ok(()));
    world.deliver(5);
    assert_eq!(world.ids(), vec!["r5", "r4", "r3"]);
    world.delete(4); // r5
    world.deliver(1);
    assert_eq!(
        world.view.status(),
        ViewStatus::CatchingUp,
        "short: r2 may belong in it"
    );
    assert_eq!(world.lists.len(), 1);
    world.answer(Ok(()));
    assert_eq!(world.ids(), vec!["r4", "r3", "r2"]);
    assert_eq!(world.view.status(), ViewStatus::Synced);
    // A row that sorts past the end of a full window stays out.
    world.create("published", -1);
    world.deliver(1);
    assert_eq!(world.ids(), world.expected());
    assert_eq!(world.replayed.as_ref(), Some(&world.ids()));
}

#[test]
fn a_gap_lists_once_and_reports_the_difference_as_changes() {
    let mut world = World::new(false, 10);
    world.create("published", 1);
    world.create("published", 2);
    world.answer(Ok(()));
    world.deliver(2);
    world.create("published", 3);
    world.delete(0);
    world.update(0, "published", 9);
    world.gap(3); // all three lost
    world.gap(0); // a second gap while the list is in flight: one more list after it, no more
    assert_eq!(world.view.status(), ViewStatus::CatchingUp);
    assert_eq!(world.lists.len(), 1);
    world.answer(Ok(()));
    assert_eq!(
        world.lists.len(),
        1,
        "the gap during the list asks for one more"
    );
    world.answer(Ok(()));
    assert!(world.lists.is_empty());
    assert_eq!(world.ids(), world.expected());
    assert_eq!(world.replayed.as_ref(), Some(&world.ids()));
}

#[test]
fn a_failing_list_is_retried_after_a_delay_and_a_refused_one_ends_the_view() {
    let mut world = World::new(false, 10);
    world.answer(Err(503));
    assert!(world.lists.is_empty());
    let at = world.view.poll_timeout().expect("a retry");
    assert!(at.0 >= 1000);
    world.view.handle_timeout(at);
    world.drain();
    assert_eq!(world.lists.len(), 1);
    world.answer(Ok(()));
    assert_eq!(world.view.status(), ViewStatus::Synced);
    world.gap(0);
    world.answer(Err(401));
    assert!(world.ended);
    world.create("published", 1);
    world.deliver(1);
    world.gap(0);
    assert!(world.lists.is_empty(), "an ended view asks for nothing");
}

#[test]
fn rows_without_an_id_or_an_update_time_are_refused() {
    let view: LiveView<()> = LiveView::new(ViewQuery::parse(&[]).expect("no queries"));
    assert!(view.row(r#"{"$updatedAt":"x"}"#, ()).is_err());
    assert!(view.row(r#"{"$id":"a"}"#, ()).is_err());
    assert!(view.row("[1]", ()).is_err());
    assert!(view.row("{", ()).is_err());
    assert!(view.row(r#"{"$id":"a","$updatedAt":"x"}"#, ()).is_ok());
}

#[test]
fn queries_a_view_cannot_evaluate_are_refused_with_their_index() {
    let refused = ViewQuery::parse(&[
        json!({"method":"limit","values":[5]}).to_string(),
        json!({"method":"search","attribute":"title","values":["x"]}).to_string(),
    ])
    .expect_err("search needs the database's index");
    assert_eq!(refused.index, 1);
    assert!(ViewQuery::parse(&["not json".to_string()]).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Create(bool, i64),
    Update(usize, bool, i64),
    Delete(usize),
    Deliver(usize),
    Answer,
    Fail,
    Gap(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let status = any::<bool>();
    prop_oneof![
        3 => (status, 0..8i64).prop_map(|(s, n)| Op::Create(s, n)),
        3 => (0..16usize, status, 0..8i64).prop_map(|(w, s, n)| Op::Update(w, s, n)),
        2 => (0..16usize).prop_map(Op::Delete),
        4 => (1..4usize).prop_map(Op::Deliver),
        2 => Just(Op::Answer),
        1 => Just(Op::Fail),
        1 => (0..4usize).prop_map(Op::Gap),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_view_ends_equal_to_the_list(ops in proptest::collection::vec(op(), 1..60), filtered: bool, limit in 1..6usize) {
        let mut world = World::new(filtered, limit);
        let status = |published: bool| if published { "published" } else { "draft" };
        for op in &ops {
            match *op {
                Op::Create(s, n) => world.create(status(s), n),
                Op::Update(which, s, n) => world.update(which, status(s), n),
                Op::Delete(which) => world.delete(which),
                Op::Deliver(count) => world.deliver(count),
                Op::Answer => world.answer(Ok(())),
                Op::Fail => world.answer(Err(500)),
                Op::Gap(lost) => world.gap(lost),
            }
        }
        world.settle();
        prop_assert_eq!(world.view.status(), ViewStatus::Synced);
        prop_assert_eq!(world.ids(), world.expected());
        prop_assert_eq!(world.replayed.as_ref(), Some(&world.ids()));
    }
}

#[test]
fn an_old_event_that_arrives_after_the_list_which_dropped_its_row_does_not_bring_it_back() {
    let mut world = World::new(false, 10);
    world.answer(Ok(()));
    world.create("published", 1);
    world.gap(0);
    world.answer(Ok(())); // lists r1 before its creation's event arrives
    world.delete(0);
    world.gap(0);
    world.answer(Ok(())); // lists without r1
    assert!(world.ids().is_empty());
    world.deliver(1); // the creation, late
    assert!(
        world.ids().is_empty(),
        "the creation is no newer than the r1 the view let go"
    );
    world.deliver(1);
    world.create("published", 2);
    world.deliver(1);
    assert_eq!(world.ids(), world.expected());
}

#[test]
fn a_gap_lists_at_once_even_while_a_failed_list_waits_for_its_retry() {
    let mut world = World::new(false, 10);
    world.answer(Ok(()));
    world.gap(0);
    world.answer(Err(503));
    assert!(world.view.poll_timeout().is_some(), "a retry is due later");
    world.gap(0); // the connection is back: no reason to wait out the delay
    assert_eq!(world.lists.len(), 1, "listed at once");
    assert_eq!(world.view.poll_timeout(), None);
    world.create("published", 1);
    world.answer(Ok(()));
    assert_eq!(world.view.status(), ViewStatus::Synced);
    assert_eq!(world.ids(), world.expected());
}
