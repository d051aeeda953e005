//! The fuzz targets' checks (fuzz/checks.rs) over their seed corpus, every stored task
//! definition and every input a fuzz run ever found (fuzz/regressions/<target>/), on stable
//! Rust in every test run. The long runs are `scripts/fuzz` (cargo-fuzz, nightly).

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files(&path));
            } else if path.file_name().is_some_and(|n| n != "README.md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Runs `check` over the target's seeds and regressions (plus `extra`); returns how many inputs
/// reached the checked path, so a corpus that exercises nothing fails the test.
fn run(target: &str, check: fn(&[u8]) -> bool, extra: &[PathBuf]) -> (usize, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs = files(&root.join("seeds").join(target));
    inputs.extend(files(&root.join("regressions").join(target)));
    inputs.extend_from_slice(extra);
    let mut exercised = 0;
    for path in &inputs {
        let data = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let outcome = std::panic::catch_unwind(|| check(&data));
        match outcome {
            Ok(true) => exercised += 1,
            Ok(false) => {}
            Err(_) => panic!(
                "{target}: {} breaks a property (see the panic above)",
                path.display()
            ),
        }
    }
    (inputs.len(), exercised)
}

#[test]
fn msgpack_decoder_seeds() {
    let (inputs, exercised) = run("msgpack", checks::msgpack, &[]);
    assert!(
        inputs >= 5 && exercised >= 4,
        "{exercised} of {inputs} seeds decoded"
    );
}

#[test]
fn json_state_decoder_seeds() {
    let (inputs, exercised) = run("json_state", checks::json_state, &[]);
    assert!(
        inputs >= 2 && exercised >= 2,
        "{exercised} of {inputs} seeds decoded"
    );
}

#[test]
fn container_parser_normalizer_validator_over_seeds_and_the_corpus() {
    let corpus = files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus"));
    let (inputs, exercised) = run("containers", checks::containers, &corpus);
    assert!(
        inputs >= 60 && exercised >= 50,
        "{exercised} of {inputs} inputs parsed"
    );
}

#[test]
fn overlay_merge_seeds() {
    let (inputs, exercised) = run("overlay", checks::overlay, &[]);
    assert!(
        inputs >= 3 && exercised >= 3,
        "{exercised} of {inputs} seeds merged"
    );
}
