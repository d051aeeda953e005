//! What the README promises and no other test shows: `skip_destroy`, a revision deregistered
//! by hand registered again, only `family` replacing, `deploy_family` re-tagging in place,
//! `assume_role`, `TF_LOG_PROVIDER` over `TF_LOG`, the data source on a CODE_DEPLOY service,
//! `deploy --no-wait`, and the rollback step summary.

use crate::support::proxy::{RecordingProxy, Rollout};
use crate::support::templates::PROVIDER_HEADER;
use crate::support::{
    Moto, Workspace, bootstrap_service, create_service, ecs_call, ecstpl, ecstpl_with_summary,
    register_raw, terraform_binaries,
};
use serde_json::{Value as Json, json};

fn template(family: &str, extra: &str) -> String {
    format!(
        "{PROVIDER_HEADER}\nresource \"ecstpl_template\" \"web\" {{\n  family = \"{family}\"\n  {extra}\n  container_definitions = jsonencode([{{ name = \"app\", image = \"placeholder\", memory = 128 }}])\n}}\n"
    )
}

fn status_of(endpoint: &str, id: &str) -> String {
    let (_, body) = ecs_call(
        endpoint,
        "DescribeTaskDefinition",
        &json!({"taskDefinition": id}),
    );
    body["taskDefinition"]["status"]
        .as_str()
        .unwrap_or("GONE")
        .to_string()
}

fn tag(endpoint: &str, id: &str, key: &str) -> Option<String> {
    let (_, body) = ecs_call(
        endpoint,
        "DescribeTaskDefinition",
        &json!({"taskDefinition": id, "include": ["TAGS"]}),
    );
    body["tags"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .and_then(|t| t["value"].as_str())
        .map(str::to_string)
}

#[test]
fn skip_destroy_keeps_the_revision_and_a_revision_deregistered_by_hand_is_registered_again() {
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write("main.tf", &template("kept-template", "skip_destroy = true"));
    workspace.apply(&[]);
    workspace.destroy(&[]);
    assert_eq!(status_of(&endpoint, "kept-template:1"), "ACTIVE");

    workspace.write("main.tf", &template("gone-template", ""));
    workspace.apply(&[]);
    let (status, _) = ecs_call(
        &endpoint,
        "DeregisterTaskDefinition",
        &json!({"taskDefinition": "gone-template:1"}),
    );
    assert_eq!(status, 200);
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2, "{}", output.combined());
    assert!(
        output.stdout.contains("will be created"),
        "{}",
        output.stdout
    );
    workspace.apply(&[]);
    assert_eq!(status_of(&endpoint, "gone-template:2"), "ACTIVE");
}

#[test]
fn only_a_family_change_replaces_and_deploy_family_retags_the_same_revision() {
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write("main.tf", &template("a-template", "deploy_family = \"a\""));
    workspace.apply(&[]);

    workspace.write(
        "main.tf",
        &template("a-template", "deploy_family = \"api\""),
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2);
    assert!(
        output.stdout.contains("updated in-place") && !output.stdout.contains("known after apply"),
        "{}",
        output.stdout
    );
    workspace.apply(&[]);
    assert_eq!(
        tag(&endpoint, "a-template:1", "ecstpl:deploy-family").as_deref(),
        Some("api")
    );
    assert_eq!(
        status_of(&endpoint, "a-template:2"),
        "GONE",
        "no new revision"
    );

    workspace.write(
        "main.tf",
        &template("b-template", "deploy_family = \"api\""),
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2);
    assert!(
        output.stdout.contains("must be replaced")
            && output
                .stdout
                .contains("1 to add, 0 to change, 1 to destroy"),
        "{}",
        output.stdout
    );
}

#[test]
fn assume_role_signs_ecs_calls_with_the_roles_credentials() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let mut workspace = Workspace::new(&terraform, &proxy.endpoint());
    workspace.env("AWS_ACCESS_KEY_ID", "SOURCEKEY");
    workspace.write(
        "main.tf",
        &template("assumed-template", "").replace(
            "max_retries = 3",
            "max_retries = 3\n  assume_role {\n    role_arn     = \"arn:aws:iam::123456789012:role/deploy\"\n    session_name = \"ci\"\n  }",
        ),
    );
    workspace.apply(&[]);
    let calls = proxy.calls();
    let keys = proxy.access_keys();
    // STS (the emulator's, through the same endpoint) is asked with the source key; ECS with
    // the role's temporary key.
    let ecs_keys: Vec<&String> = calls
        .iter()
        .zip(keys.iter())
        .filter(|(op, _)| op.as_str() != "(none)")
        .map(|(_, key)| key)
        .collect();
    assert!(!ecs_keys.is_empty());
    assert!(
        ecs_keys
            .iter()
            .all(|k| k.as_str() != "SOURCEKEY" && !k.is_empty()),
        "{calls:?} {keys:?}"
    );
    assert!(
        keys.iter().any(|k| k == "SOURCEKEY"),
        "the role was assumed with the source key: {keys:?}"
    );
}

#[test]
fn tf_log_provider_sets_the_providers_level_over_tf_log() {
    let moto = Moto::start();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &moto.endpoint());
    workspace.write("main.tf", &template("logged-template", ""));
    let debug_line = "provider configured";
    let quiet = workspace.run_with_env(
        &["plan", "-input=false", "-no-color"],
        &[("TF_LOG", "DEBUG"), ("TF_LOG_PROVIDER", "ERROR")],
    );
    assert!(quiet.success(), "{}", quiet.combined());
    assert!(
        !quiet.stderr.contains(debug_line),
        "TF_LOG_PROVIDER=ERROR wins:\n{}",
        quiet.stderr
    );
    let loud = workspace.run_with_env(
        &["plan", "-input=false", "-no-color"],
        &[("TF_LOG_PROVIDER", "DEBUG")],
    );
    assert!(loud.success(), "{}", loud.combined());
    assert!(
        loud.stderr.contains(debug_line),
        "TF_LOG_PROVIDER=DEBUG alone:\n{}",
        loud.stderr
    );
}

#[test]
fn the_data_source_reads_a_code_deploy_service_from_its_task_definition() {
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    let registered = register_raw(
        &endpoint,
        &json!({"family": "bg", "memory": "512", "containerDefinitions": [{"name": "app", "image": "repo:v9"}]}),
    );
    let arn = registered["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_string();
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "bg", "desiredCount": 1, "taskDefinition": arn,
                "deploymentController": {"type": "CODE_DEPLOY"}}),
    );
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write(
        "main.tf",
        &format!("{PROVIDER_HEADER}\ndata \"ecstpl_deployed_revision\" \"bg\" {{\n  cluster = \"prod\"\n  service = \"bg\"\n}}\noutput \"arn\" {{ value = data.ecstpl_deployed_revision.bg.arn }}\noutput \"images\" {{ value = data.ecstpl_deployed_revision.bg.images }}\n"),
    );
    workspace.apply(&[]);
    let outputs = workspace.outputs();
    assert_eq!(outputs["arn"]["value"], Json::from(arn));
    assert_eq!(outputs["images"]["value"]["app"], "repo:v9");
}

#[test]
fn deploy_no_wait_returns_at_once_and_rollback_writes_its_step_summary() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    let endpoint = proxy.endpoint();
    bootstrap_service(&endpoint, "web");
    let deploy = |image: &str| {
        let image = format!("app={image}");
        ecstpl(
            &endpoint,
            &[
                "deploy",
                "--cluster",
                "prod",
                "--service",
                "web",
                "--image",
                &image,
                "--poll-interval",
                "50ms",
            ],
        )
    };
    assert_eq!(deploy("repo:v1").code, 0);
    proxy.clear();
    let no_wait = ecstpl(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo:v2",
            "--no-wait",
            "--output",
            "json",
        ],
    );
    assert_eq!(no_wait.code, 0, "{}", no_wait.combined());
    let result: Json = serde_json::from_str(&no_wait.stdout).unwrap();
    assert!(
        result["service_deployment_arn"].as_str().is_some(),
        "{result}"
    );
    assert!(
        !proxy
            .calls()
            .iter()
            .any(|op| op == "DescribeServiceDeployments"),
        "--no-wait follows nothing: {:?}",
        proxy.calls()
    );
    // Let that deployment finish, then roll back with a step summary.
    let status = ecstpl(
        &endpoint,
        &["status", "--cluster", "prod", "--service", "web"],
    );
    assert_eq!(status.code, 0);
    let _ = ecstpl(
        &endpoint,
        &["status", "--cluster", "prod", "--service", "web"],
    );
    let summary = tempfile::NamedTempFile::new().unwrap();
    let rolled = ecstpl_with_summary(
        &endpoint,
        &[
            "rollback",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--poll-interval",
            "50ms",
            "--timeout",
            "30s",
        ],
        summary.path(),
    );
    assert_eq!(rolled.code, 0, "{}", rolled.combined());
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        written.contains("### ecstpl rollback") && written.contains("rolled back"),
        "{written}"
    );
}
