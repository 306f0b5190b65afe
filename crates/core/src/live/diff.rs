//! The changes between two lists of rows, as a view reports a list after a gap.

use super::{Change, ChangeKind, Row};

/// The changes that turn `old` into `new`, in the order [`ChangeKind`] says they apply.
pub(super) fn diff<P: Clone>(old: Vec<Row<P>>, new: &[Row<P>]) -> Vec<Change<P>> {
    let mut changes = Vec::new();
    let mut current: Vec<Row<P>> = Vec::with_capacity(old.len());
    // Removals first, from the end, so that each index holds when it is applied.
    let mut gone = Vec::new();
    for (index, row) in old.into_iter().enumerate() {
        if new.iter().any(|kept| kept.id == row.id) {
            current.push(row);
        } else {
            gone.push((index, row));
        }
    }
    for (index, row) in gone.into_iter().rev() {
        changes.push(Change {
            kind: ChangeKind::Removed,
            row,
            old_index: Some(index),
            new_index: None,
        });
    }
    // Then each place in turn: the rows before it are already the new ones.
    for (at, row) in new.iter().enumerate() {
        let found = current
            .iter()
            .skip(at)
            .position(|held| held.id == row.id)
            .map(|offset| at + offset);
        match found {
            Some(index)
                if index == at && current.get(index).is_some_and(|held| !held.older_than(row)) => {}
            Some(index) => {
                current.remove(index);
                current.insert(at, row.clone());
                changes.push(Change {
                    kind: ChangeKind::Modified,
                    row: row.clone(),
                    old_index: Some(index),
                    new_index: Some(at),
                });
            }
            None => {
                current.insert(at, row.clone());
                changes.push(Change {
                    kind: ChangeKind::Added,
                    row: row.clone(),
                    old_index: None,
                    new_index: Some(at),
                });
            }
        }
    }
    changes
}
