//! Randomized faults, reproducible by seed: the whole loop (apply → deploy → plan → template
//! change → apply → deploy) behind a proxy that throttles, fails with and without ECS error
//! bodies, resets connections, loses answers after ECS acted, answers slowly and, now and then,
//! never. Every step succeeds or fails with a clear error; once the faults stop, one more run
//! converges to a clean plan; and no ACTIVE revision is left that state or the deploy history
//! does not know.
//!
//! CI runs a few seeds; `scripts/faults N` runs N and prints the summary
//! (`ECSTPL_FAULT_RUNS`, `ECSTPL_FAULT_SEED` for the first seed, `ECSTPL_FAULT_RATE`).

use std::collections::BTreeSet;

use crate::support::proxy::{Fault, RecordingProxy, Rollout};
use crate::support::templates::PROVIDER_HEADER;
use crate::support::{
    CmdOutput, Moto, Workspace, create_service, ecs_call, ecstpl, env_number, terraform_binaries,
};
use serde_json::{Value as Json, json};

fn config(level: &str) -> String {
    format!(
        "{PROVIDER_HEADER}\nresource \"ecstpl_template\" \"web\" {{\n  family        = \"web-template\"\n  deploy_family = \"web\"\n  memory        = \"512\"\n  container_definitions = jsonencode([{{ name = \"app\", image = \"placeholder\", environment = [{{ name = \"LEVEL\", value = \"{level}\" }}] }}])\n}}\n"
    )
}

fn deploy(endpoint: &str, image: Option<&str>) -> CmdOutput {
    let mut args = vec![
        "deploy",
        "--cluster",
        "prod",
        "--service",
        "web",
        "--poll-interval",
        "200ms",
        "--timeout",
        "90s",
        "--max-retries",
        "3",
    ];
    let image = image.map(|i| format!("app={i}"));
    if let Some(image) = &image {
        args.extend(["--image", image.as_str()]);
    }
    ecstpl(endpoint, &args)
}

fn active(endpoint: &str, family: &str) -> BTreeSet<String> {
    let (_, body) = ecs_call(
        endpoint,
        "ListTaskDefinitions",
        &json!({"familyPrefix": family, "status": "ACTIVE"}),
    );
    body["taskDefinitionArns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .filter(|arn| arn.contains(&format!("task-definition/{family}:")))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A failure must say what went wrong, in the provider's or ecstpl's own words.
fn clear(what: &str, text: &str, problems: &mut Vec<String>) {
    for bad in [
        "inconsistent result",
        "panicked",
        "Plugin did not respond",
        "plugin crashed",
    ] {
        if text.contains(bad) {
            problems.push(format!("{what}: {bad:?} in:\n{text}"));
        }
    }
    if !text.contains("Error") && !text.contains("error:") {
        problems.push(format!("{what} failed without an error message:\n{text}"));
    }
}

struct Run {
    faults: u32,
    converged: bool,
    orphans: Vec<String>,
    problems: Vec<String>,
}

fn run(seed: u64, rate: f64) -> Run {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    let endpoint = proxy.endpoint();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);
    let mut problems = Vec::new();
    // Set-up without faults: the cluster and the service (bootstrapped on the template).
    workspace.write("main.tf", &config("a"));
    workspace.apply(&[]);
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": "web-template:1"}),
    );

    let mut history = BTreeSet::new();
    let mut record = |output: &CmdOutput| {
        for line in output.stderr.lines() {
            if let Some(rest) = line.strip_prefix("registered ") {
                history.insert(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
    };
    proxy.inject(Fault::Random { seed, rate });
    type Step<'a> = (&'static str, Box<dyn Fn() -> CmdOutput + 'a>);
    let steps: Vec<Step> = vec![
        (
            "deploy repo:v1",
            Box::new(|| deploy(&endpoint, Some("repo:v1"))),
        ),
        (
            "plan",
            Box::new(|| {
                workspace.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
            }),
        ),
        (
            "apply a template change",
            Box::new(|| {
                workspace.write("main.tf", &config("b"));
                workspace.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
            }),
        ),
        (
            "deploy the template change",
            Box::new(|| deploy(&endpoint, None)),
        ),
    ];
    for (what, step) in &steps {
        let output = step();
        record(&output);
        // plan -detailed-exitcode: 2 means changes, not a failure.
        if output.code != 0 && !(*what == "plan" && output.code == 2) {
            clear(what, &output.combined(), &mut problems);
        }
    }
    let faults = proxy.injected();
    proxy.clear_faults();

    // Faults over: one more run converges.
    let applied = workspace.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    if !applied.success() {
        problems.push(format!(
            "apply after the faults failed:\n{}",
            applied.combined()
        ));
    }
    let deployed = deploy(&endpoint, None);
    record(&deployed);
    if deployed.code != 0 {
        problems.push(format!(
            "deploy after the faults failed:\n{}",
            deployed.combined()
        ));
    }
    let (code, plan) = workspace.plan_detailed_exitcode(&[]);
    let converged = applied.success() && deployed.code == 0 && code == 0;
    if code != 0 {
        problems.push(format!(
            "plan after the faults is not clean:\n{}",
            plan.combined()
        ));
    }

    // Orphans: template revisions other than the one in state; deploy-family revisions no
    // deploy reported.
    let state = workspace.run(&["state", "show", "-no-color", "ecstpl_template.web"]);
    let mut orphans: Vec<String> = active(&moto.endpoint(), "web-template")
        .into_iter()
        .filter(|arn| !state.stdout.contains(arn.as_str()))
        .collect();
    orphans.extend(
        active(&moto.endpoint(), "web")
            .into_iter()
            .filter(|arn| !history.iter().any(|h| arn.ends_with(&format!("/{h}")))),
    );
    Run {
        faults,
        converged,
        orphans,
        problems,
    }
}

#[test]
fn the_loop_under_random_faults_fails_clearly_and_converges_without_orphans() {
    let runs: u64 = env_number("ECSTPL_FAULT_RUNS", 3);
    let first: u64 = env_number("ECSTPL_FAULT_SEED", 1);
    let rate: f64 = env_number("ECSTPL_FAULT_RATE", 0.15);
    let mut faults = 0;
    let mut converged = 0;
    let mut orphans = Vec::new();
    let mut problems = Vec::new();
    for seed in first..first + runs {
        let result = run(seed, rate);
        faults += result.faults;
        converged += u64::from(result.converged);
        orphans.extend(result.orphans.iter().map(|o| format!("seed {seed}: {o}")));
        problems.extend(result.problems.iter().map(|p| format!("seed {seed}: {p}")));
    }
    println!(
        "fault runs: {runs}, faults injected: {faults}, converged: {converged}, orphans: {}",
        orphans.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(orphans.is_empty(), "{orphans:?}");
    assert_eq!(converged, runs);
}
