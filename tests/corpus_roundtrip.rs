//! Real task definitions from public repositories (tests/corpus, provenance in SOURCES.tsv),
//! each written as an `ecstpl_template` the way a team migrating would write it: every valid
//! one applies and then plans clean; every invalid one is rejected at plan time.
//!
//! Templating: the family becomes `corpus-N` (published families are often placeholders);
//! `containerDefinitions` go to a JSON file read with `file()`; task-level fields become the
//! arguments and blocks of the same names; a task size left to envsubst (`${TASK_CPU}`)
//! becomes 256/512 because ECS needs a real size, and the one file that sets no memory at all
//! gets a task memory of 512 (ECS refuses it otherwise, and so does ecstpl at plan time).
//! `${` and `%{` in strings are escaped.

mod support;

use support::proxy::RecordingProxy;
use support::templates::{corpus, template};
use support::{Moto, Workspace, repo_root, terraform_binaries};

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
    let terraform = terraform_binaries().remove(0);
    let mut accepted = Vec::new();
    for (index, (name, document)) in corpus("invalid").iter().enumerate() {
        let workspace = Workspace::new(&terraform, &moto.endpoint());
        let config = format!(
            "{HEADER}\n{}\n",
            template(index, document, workspace.path())
        );
        workspace.write("main.tf", &config);
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        if output.success() {
            accepted.push(name.clone());
        } else {
            eprintln!(
                "{name}: {}",
                output
                    .stderr
                    .lines()
                    .find(|l| l.contains("Error:"))
                    .unwrap_or_default()
            );
        }
    }
    // Tags written as a JSON object are wrong only in the API's JSON shape: HCL has a single
    // shape for tags (a map), so that file's one problem cannot be written in HCL at all.
    let inexpressible =
        ["AmaliTech-Training-Academy__talentradar-config-server-rw__.aws_task-definition.json"];
    accepted.retain(|name| !inexpressible.contains(&name.as_str()));
    assert!(accepted.is_empty(), "accepted at plan time: {accepted:?}");
}

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
    let mut text = std::fs::read_to_string(path).unwrap();
    text = text
        .replace("\"${TASK_CPU}\"", "\"256\"")
        .replace("\"${TASK_MEMORY}\"", "\"512\"");
    if name.starts_with("NASA-ACROSS") {
        text = text.replacen('{', "{\"memory\": \"512\",", 1);
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
    let expected = [
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
