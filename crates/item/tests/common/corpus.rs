//! The seed corpus of the property tests and the edits they make to it (issue 19). The corpus
//! is what real clients and this project's boto3 suite send (`scripts/fuzz-corpus.py` writes
//! it, under each crate's `tests/corpus`); every entry is replayed as it is, then with a few
//! random edits: bytes flipped, inserted, removed, a span repeated (deeper nesting, longer
//! lists) and the tail cut. Shared by the crates' property tests through `#[path]`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;

/// One edit; positions wrap around the input's length.
#[derive(Clone, Debug)]
pub enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize, usize),
    Repeat(usize, usize, usize),
    Cut(usize),
}

/// Up to eight edits, with the bytes that open and close structures favoured.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"{}[]()\"':,.=<>\\0 \x81\x9f\xa1\xbf\xff".to_vec()),
    ];
    let edit = prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), 1..32usize).prop_map(|(i, n)| Edit::Remove(i, n)),
        (any::<usize>(), 1..16usize, 1..64usize).prop_map(|(i, n, k)| Edit::Repeat(i, n, k)),
        any::<usize>().prop_map(Edit::Cut),
    ];
    prop::collection::vec(edit, 0..8)
}

/// `seed` with `edits` made, in order.
pub fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for edit in edits {
        let n = b.len();
        match *edit {
            Edit::Insert(i, x) => b.insert(i % (n + 1), x),
            Edit::Cut(i) => b.truncate(i % (n + 1)),
            _ if n == 0 => {}
            Edit::Flip(i, x) => b[i % n] ^= x,
            Edit::Remove(i, len) => {
                let start = i % n;
                b.drain(start..(start + len).min(n));
            }
            Edit::Repeat(i, len, times) => {
                let start = i % n;
                let end = (start + len).min(n);
                let span = b[start..end].to_vec();
                let copies: Vec<u8> = span
                    .iter()
                    .copied()
                    .cycle()
                    .take(span.len() * times)
                    .collect();
                b.splice(end..end, copies);
            }
        }
    }
    b
}

fn corpus_dir(crate_dir: &str) -> PathBuf {
    Path::new(crate_dir).join("tests/corpus")
}

/// The files of `tests/corpus/<dir>` in `crate_dir`, each one entry, in name order.
pub fn files(crate_dir: &str, dir: &str) -> Vec<Vec<u8>> {
    named_files(crate_dir, dir)
        .into_iter()
        .map(|(_, b)| b)
        .collect()
}

/// [`files`] with their names.
pub fn named_files(crate_dir: &str, dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir(crate_dir).join(dir))
        .expect("the corpus directory")
        .map(|e| e.expect("a corpus entry").path())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no corpus in {dir}");
    paths
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(p).expect("a corpus file"))
        })
        .collect()
}

/// The lines of `tests/corpus/<file>` in `crate_dir`, each one entry.
pub fn lines(crate_dir: &str, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(corpus_dir(crate_dir).join(file)).expect("a corpus file");
    let entries: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(!entries.is_empty(), "no corpus in {file}");
    entries
}
