//! Real task definitions from public repositories (tests/corpus, provenance in SOURCES.tsv),
//! each written as an `ecstpl_template` the way a team migrating would write it: every valid
//! one applies and then plans clean; every invalid one is rejected at plan time.
//!
//! Templating: the family becomes `corpus-N` (published families are often placeholders);
//! `containerDefinitions` go to a JSON file read with `file()`; task-level fields become the
//! arguments and blocks of the same names; values a file leaves to another tool get the value
//! that tool would put there (`support::templates::substitute`).
//! `${` and `%{` in strings are escaped.

use crate::support;
use crate::support::proxy::RecordingProxy;
use crate::support::templates::{corpus, template};
use crate::support::{Moto, Workspace, repo_root, terraform_binaries};

/// The provider block every workspace here starts with.
const HEADER: &str = support::templates::PROVIDER_HEADER;

#[test]
fn every_valid_corpus_file_applies_and_plans_clean_even_after_ecs_rewrites_it() {
    let moto = Moto::start();
    // moto stores definitions verbatim; the proxy makes its answers look like ECS's.
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let files = corpus("valid");
    assert!(files.len() >= 60);
    let mut config = String::from(HEADER);
    for (index, (_, document)) in files.iter().enumerate() {
        config.push('\n');
        config.push_str(&template(index, document, workspace.path()));
        config.push('\n');
    }
    workspace.write("main.tf", &config);
    let output = workspace.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=4",
    ]);
    assert!(
        output.success(),
        "apply of {} corpus templates failed:\n{}",
        files.len(),
        output.combined()
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    if code != 0 {
        let names: Vec<String> = files
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("c{i} = {name}"))
            .collect();
        panic!(
            "second plan is not clean (exit {code}):\n{}\n{}",
            names.join("\n"),
            output.combined()
        );
    }
}

#[test]
fn every_invalid_corpus_file_is_rejected_at_plan_time() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let mut failures = Vec::new();
    for (index, (name, document)) in corpus("invalid").iter().enumerate() {
        // Tags written as a JSON object are wrong only in the API's JSON shape: HCL has a
        // single shape for tags (a map), so that file's one problem cannot be written in HCL.
        if name.starts_with("AmaliTech") {
            continue;
        }
        let (_, summary) = INVALID
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .unwrap();
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        let config = format!(
            "{HEADER}\n{}\n",
            template(index, document, workspace.path())
        );
        workspace.write("main.tf", &config);
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        let text = output.combined();
        if output.success() || !text.contains(&format!("Error: {summary}")) {
            failures.push(format!("{name}: expected {summary:?}\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(
        proxy.write_calls(),
        Vec::<String>::new(),
        "no write call for invalid input"
    );
}

/// Each invalid file and the problem it has.
const INVALID: &[(&str, &str)] = &[
    ("AmaliTech", "Invalid tags"),
    ("CS3219", "Empty image"),
    (
        "Oxford",
        "Privileged containers are not supported on Fargate",
    ),
    ("XYOracle", "Empty image"),
    ("YAPP", "Missing image"),
    ("keenethics", "Missing image"),
    ("nekochans", "Empty image"),
];

/// The file as a `task_definition` document, byte for byte, except where ECS needs a real
/// value the file leaves to another tool (the same substitutions as the argument form).
fn document_text(name: &str, dir: &std::path::Path, index: usize) -> String {
    let path = repo_root()
        .join("tests/corpus")
        .join(if dir.ends_with("invalid") {
            "invalid"
        } else {
            "valid"
        })
        .join(name);
    let mut text = support::templates::substitute(name, &std::fs::read_to_string(path).unwrap());
    // Where the tool would fill in more, the document is written as it renders it.
    if !dir.ends_with("invalid")
        && let Ok(serde_json::Value::Object(mut document)) =
            serde_json::from_str(text.trim_start_matches('\u{feff}'))
    {
        let changed = match document.get_mut("taskDefinition") {
            Some(serde_json::Value::Object(inner)) => support::templates::render_for_ecs(inner),
            _ => support::templates::render_for_ecs(&mut document),
        };
        if changed {
            text = serde_json::to_string_pretty(&document).unwrap();
        }
    }
    let file = format!("document-{index}.json");
    std::fs::write(dir.join(&file), text).unwrap();
    file
}

#[test]
fn every_valid_corpus_document_applies_and_plans_clean_even_after_ecs_rewrites_it() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let files = corpus("valid");
    let mut config = String::from(HEADER);
    let marker = workspace.path().join("valid");
    std::fs::create_dir_all(&marker).unwrap();
    for (index, (name, _)) in files.iter().enumerate() {
        let file = document_text(name, &marker, index);
        config.push_str(&format!(
            "\nresource \"ecstpl_template\" \"d{index}\" {{\n  family          = \"document-{index}\"\n  task_definition = file(\"valid/{file}\")\n}}\n"
        ));
    }
    workspace.write("main.tf", &config);
    let output = workspace.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=4",
    ]);
    assert!(
        output.success(),
        "apply of {} corpus documents failed:\n{}",
        files.len(),
        output.combined()
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    if code != 0 {
        let names: Vec<String> = files
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("d{i} = {name}"))
            .collect();
        panic!(
            "second plan is not clean (exit {code}):\n{}\n{}",
            names.join("\n"),
            output.combined()
        );
    }
}

#[test]
fn every_invalid_corpus_document_is_rejected_at_plan_time_for_its_problem() {
    let expected = INVALID;
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let files = corpus("invalid");
    assert_eq!(files.len(), expected.len());
    let mut failures = Vec::new();
    for (index, (name, _)) in files.iter().enumerate() {
        let (_, summary) = expected
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .unwrap();
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        let dir = workspace.path().join("invalid");
        std::fs::create_dir_all(&dir).unwrap();
        let file = document_text(name, &dir, index);
        workspace.write(
            "main.tf",
            &format!("{HEADER}\nresource \"ecstpl_template\" \"bad\" {{\n  family          = \"document\"\n  task_definition = file(\"invalid/{file}\")\n}}\n"),
        );
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        let text = output.combined();
        if output.success() || !text.contains(&format!("Error: {summary}")) {
            failures.push(format!("{name}: expected {summary:?}\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(proxy.write_calls(), Vec::<String>::new());
}

/// The domain's one validation entry point accepts every valid file as its tool renders it
/// (no Terraform involved).
#[test]
fn every_valid_corpus_file_passes_validation() {
    let files = corpus("valid");
    assert!(files.len() >= 60);
    let mut failures = Vec::new();
    for (name, mut document) in files {
        // Families in published files are often placeholders; a template sets its own.
        document.insert("family".into(), serde_json::Value::from("corpus"));
        ecstpl::taskdef::strip_read_only(&mut document);
        let found: Vec<String> = ecstpl::taskdef::validate_task_definition(&document, &[])
            .into_iter()
            .filter(|p| !p.warning)
            .map(|p| format!("{}: {}", p.summary, p.detail))
            .collect();
        if !found.is_empty() {
            failures.push(format!("{name}: {found:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
