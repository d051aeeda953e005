//! `ecstpl verify` and `deploy --verify` against the emulator, which serves IAM, ECR, SSM,
//! Secrets Manager and CloudWatch Logs next to ECS: what a task needs at run time is checked
//! before anything is registered, each finding naming its field path and the missing thing.

use crate::support;
use crate::support::proxy::{Fault, RecordingProxy, Scenario};
use crate::support::templates::provider_header;
use crate::support::{CmdOutput, Moto, aws_json_call, bootstrap_service_on, ecstpl};
use serde_json::{Value as Json, json};

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web";
const SECRET_NAME: &str = "prod/api-key";
pub(crate) const TRUST_ECS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// One IAM query-protocol call, returning the XML answer.
pub(crate) fn iam(endpoint: &str, params: &[(&str, &str)]) -> String {
    let mut body = String::from("Version=2010-05-08");
    for (key, value) in params {
        body.push_str(&format!("&{key}={}", encode(value)));
    }
    support::query_call(endpoint, "iam", &body)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ok(answer: (u16, Json)) -> Json {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1
}

/// The template every test deploys: two roles, an ECR image, an SSM parameter and a secret,
/// and an awslogs log group. Returns the secret's ARN.
fn service(endpoint: &str, secret_arn: &str) {
    bootstrap_service_on(
        endpoint,
        "web",
        json!({"family": "web-template", "memory": "512",
        "executionRoleArn": "arn:aws:iam::123456789012:role/web-exec",
        "taskRoleArn": "arn:aws:iam::123456789012:role/web-task",
        "containerDefinitions": [{
            "name": "app", "image": "placeholder",
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": "/prod/db/password"},
                {"name": "API_KEY", "valueFrom": format!("{secret_arn}:key::")}
            ],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}}
        }]}),
        json!({"desiredCount": 1}),
    );
}

/// Creates everything the template needs; returns the secret's ARN.
fn create_all(endpoint: &str) -> String {
    for role in ["web-exec", "web-task"] {
        let created = iam(
            endpoint,
            &[
                ("Action", "CreateRole"),
                ("RoleName", role),
                ("AssumeRolePolicyDocument", TRUST_ECS),
            ],
        );
        assert!(created.contains("<RoleName>"), "{created}");
    }
    ok(aws_json_call(
        endpoint,
        "ecr",
        "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
        &json!({"repositoryName": "web"}),
    ));
    ok(aws_json_call(
        endpoint,
        "ecr",
        "AmazonEC2ContainerRegistry_V20150921.PutImage",
        &json!({"repositoryName": "web", "imageTag": "v1",
                "imageManifest": json!({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": format!("sha256:{}", "b".repeat(64))},
                    "layers": []}).to_string()}),
    ));
    ok(aws_json_call(
        endpoint,
        "ssm",
        "AmazonSSM.PutParameter",
        &json!({"Name": "/prod/db/password", "Value": "s3cr3t-value", "Type": "SecureString"}),
    ));
    ok(aws_json_call(
        endpoint,
        "logs",
        "Logs_20140328.CreateLogGroup",
        &json!({"logGroupName": "/ecs/web"}),
    ));
    let secret = ok(aws_json_call(
        endpoint,
        "secretsmanager",
        "secretsmanager.CreateSecret",
        &json!({"Name": SECRET_NAME, "SecretString": "{\"key\":\"v4lue\"}"}),
    ));
    secret["ARN"].as_str().unwrap().to_string()
}

fn verify(endpoint: &str, extra: &[&str]) -> CmdOutput {
    let image = format!("app={IMAGE}:v1");
    let mut args = vec![
        "verify",
        "--cluster",
        "prod",
        "--service",
        "web",
        "--image",
        &image,
    ];
    args.extend(extra);
    ecstpl(endpoint, &args)
}

fn start() -> (Moto, RecordingProxy, String) {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let endpoint = proxy.endpoint();
    (moto, proxy, endpoint)
}

#[test]
fn verify_names_every_missing_thing_and_registers_nothing() {
    let (_moto, proxy, endpoint) = start();
    let secret_arn =
        format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{SECRET_NAME}-AbCdEf");
    service(&endpoint, &secret_arn);
    proxy.clear();
    let missing = verify(&endpoint, &[]);
    assert_eq!(missing.code, 2, "{}", missing.combined());
    for (path, thing) in [
        (
            "executionRoleArn",
            "IAM role arn:aws:iam::123456789012:role/web-exec does not exist",
        ),
        (
            "containerDefinitions[app].image",
            "image web:v1 is not in ECR",
        ),
        (
            "containerDefinitions[app].secrets[DB_PASSWORD].valueFrom",
            "SSM parameter /prod/db/password does not exist",
        ),
        (
            "containerDefinitions[app].secrets[API_KEY].valueFrom",
            "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-key-AbCdEf does not exist",
        ),
        (
            "containerDefinitions[app].logConfiguration.options.awslogs-group",
            "log group /ecs/web does not exist",
        ),
    ] {
        assert!(
            missing.stdout.contains(&format!("✗ {path}: {thing}")),
            "{path}: {thing}\n{}",
            missing.combined()
        );
    }
    // IAM's query protocol names its action in the body, which the proxy does not read
    // ("(none)"): those are GetRole calls. Nothing else wrote.
    let writes: Vec<String> = proxy
        .write_calls()
        .into_iter()
        .filter(|c| c != "(none)")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");

    let json_run = verify(&endpoint, &["--output", "json"]);
    let result: Json = serde_json::from_str(json_run.stdout.trim()).unwrap();
    assert_eq!(
        (result["result"].as_str(), result["exit_code"].as_i64()),
        (Some("failed"), Some(2))
    );
    assert_eq!(
        result["findings"]
            .as_array()
            .map(|f| f.iter().filter(|f| f["status"] == "missing").count()),
        Some(6),
        "two roles, the image, the parameter, the secret, the log group: {result}"
    );

    // deploy --verify stops before registering.
    let deploy = ecstpl(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            &format!("app={IMAGE}:v1"),
            "--verify",
        ],
    );
    assert_eq!(deploy.code, 2, "{}", deploy.combined());
    assert!(
        deploy.stderr.contains("nothing was registered"),
        "{}",
        deploy.stderr
    );
    assert!(
        !proxy.calls().iter().any(|c| c == "RegisterTaskDefinition"),
        "{:?}",
        proxy.calls()
    );
}

#[test]
fn with_everything_in_place_verify_passes_and_deploy_verify_deploys() {
    let (_moto, proxy, endpoint) = start();
    let secret_arn = create_all(&endpoint);
    service(&endpoint, &secret_arn);
    let passed = verify(&endpoint, &[]);
    assert_eq!(passed.code, 0, "{}", passed.combined());
    assert!(
        passed
            .stdout
            .contains("6 references: 6 found, 0 missing, 0 not checked"),
        "{}",
        passed.stdout
    );
    assert!(
        !passed.combined().contains("s3cr3t-value") && !passed.combined().contains("v4lue"),
        "no secret value is ever shown"
    );
    let deployed = ecstpl(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            &format!("app={IMAGE}:v1"),
            "--verify",
            "--poll-interval",
            "200ms",
            "--timeout",
            "60s",
        ],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    assert!(proxy.calls().iter().any(|c| c == "RegisterTaskDefinition"));

    // A tag that was never pushed is the one finding.
    let missing_tag = ecstpl(
        &endpoint,
        &[
            "verify",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            &format!("app={IMAGE}:v404"),
        ],
    );
    assert_eq!(missing_tag.code, 2, "{}", missing_tag.combined());
    assert!(
        missing_tag.stdout.contains("1 missing")
            && missing_tag.stdout.contains("web:v404 is not in ECR"),
        "{}",
        missing_tag.stdout
    );
}

#[test]
fn access_denied_is_not_checked_unless_strict_and_an_untrusted_role_is_missing_trust() {
    let (_moto, proxy, endpoint) = start();
    let secret_arn = create_all(&endpoint);
    service(&endpoint, &secret_arn);
    proxy.inject(Fault::AccessDenied {
        operation: Some("GetParameter".into()),
        times: 2,
    });
    let lenient = verify(&endpoint, &[]);
    assert_eq!(lenient.code, 0, "{}", lenient.combined());
    assert!(
        lenient
            .stdout
            .contains("? containerDefinitions[app].secrets[DB_PASSWORD].valueFrom: not checked: GetParameter: AccessDeniedException"),
        "{}",
        lenient.stdout
    );
    let strict = verify(&endpoint, &["--strict"]);
    assert_eq!(strict.code, 2, "{}", strict.combined());

    // A role ECS tasks may not assume: it exists, and it will not work.
    iam(
        &endpoint,
        &[
            ("Action", "UpdateAssumeRolePolicy"),
            ("RoleName", "web-task"),
            ("PolicyDocument", &TRUST_ECS.replace("ecs-tasks", "lambda")),
        ],
    );
    let untrusted = verify(&endpoint, &[]);
    assert_eq!(untrusted.code, 2, "{}", untrusted.combined());
    assert!(
        untrusted.stdout.contains(
            "✗ taskRoleArn: IAM role arn:aws:iam::123456789012:role/web-task exists, but its trust policy does not let ecs-tasks.amazonaws.com assume it"
        ),
        "{}",
        untrusted.stdout
    );
}

#[test]
fn verify_references_in_the_provider_fails_the_plan_on_the_attribute() {
    let (_moto, _proxy, endpoint) = start();
    let terraform = support::terraform_binaries().remove(0);
    let workspace = support::Workspace::new(&terraform, &endpoint);
    let config = |verify: bool| {
        let header = provider_header(&format!("  verify_references = {verify}\n"));
        format!(
            r#"{header}
resource "ecstpl_template" "web" {{
  family             = "web-template"
  deploy_family      = "web"
  execution_role_arn = "arn:aws:iam::123456789012:role/web-exec"
  container_definitions = jsonencode([{{
    name    = "app"
    image   = "placeholder"
    memory  = 128
    secrets = [{{ name = "DB_PASSWORD", valueFrom = "/prod/db/password" }}]
    logConfiguration = {{
      logDriver = "awslogs"
      options   = {{ "awslogs-group" = "/ecs/web", "awslogs-region" = "us-east-1", "awslogs-stream-prefix" = "web" }}
    }}
  }}])
}}
"#
        )
    };
    // Off by default: the plan does not ask.
    workspace.write("main.tf", &config(false));
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2, "{}", output.combined());

    workspace.write("main.tf", &config(true));
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 1, "{}", output.combined());
    // Terraform wraps diagnostics: compare with single spaces.
    let text = output
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "executionRoleArn: IAM role arn:aws:iam::123456789012:role/web-exec does not exist",
        "containerDefinitions[app].secrets[DB_PASSWORD].valueFrom: SSM parameter /prod/db/password does not exist",
        "containerDefinitions[app].logConfiguration.options.awslogs-group: log group /ecs/web does not exist",
        "execution_role_arn",
        "container_definitions",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }

    create_all(&endpoint);
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(
        code,
        2,
        "everything in place: the plan goes through\n{}",
        output.combined()
    );
    workspace.apply(&[]);
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}
