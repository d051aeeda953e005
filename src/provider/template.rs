//! `ecstpl_template`: owns the template revision of a task definition. Arguments mirror
//! `aws_ecs_task_definition`; a change registers a new revision in place; tags (and
//! `deploy_family`, which is a tag) are updated on the existing revision; Read keeps the
//! user's text whenever the live revision is semantically equal, so plans show only real
//! template changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::aws::{self, Ecs, Revision};
use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportRequest, ImportResponse, PlanRequest, PlanResponse,
    ReadRequest, ReadResponse, Resource, UpgradeRequest, UpgradeResponse,
};
use crate::plugin::path::AttributePath;
use crate::plugin::schema::{Attribute, Block, Mode, Schema};
use crate::plugin::value::{self, Type, Value};
use crate::provider::Shared;
use crate::provider::task_blocks;
use crate::provider::values;
use crate::taskdef;

/// Arguments whose change registers a new revision: the family, the `task_definition`
/// document, and the task arguments it replaces ([`DOCUMENT_REPLACES`]). Tags and
/// provider-side settings are not part of a revision.
fn revision_arguments() -> impl Iterator<Item = &'static str> {
    ["family", "task_definition"]
        .into_iter()
        .chain(DOCUMENT_REPLACES.iter().copied())
}

/// Computed attributes that a new revision changes.
const REVISION_OUTPUTS: &[&str] = &["arn", "revision"];

/// Maximum user tags on a task definition (ECS allows 50, ecstpl reserves room for its own).
const MAX_USER_TAGS: usize = 47;

pub(crate) struct TemplateResource {
    shared: Arc<Shared>,
}

impl TemplateResource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

pub(crate) fn schema() -> Schema {
    let optional = |name: &str, ty: Type, description: &str| {
        Attribute::new(name, ty, Mode::Optional, description)
    };
    let computed = |name: &str, ty: Type, description: &str| {
        Attribute::new(name, ty, Mode::Computed, description)
    };
    Schema {
        version: 0,
        block: Block {
            description: "The template revision of an ECS task definition: every piece of \
                infrastructure configuration, with placeholder images. `ecstpl deploy` reads it \
                from AWS, injects the images CI built and registers revisions in the deploy family. \
                A change registers a new template revision in place; plans show only real \
                template changes, never what AWS rewrote."
                .into(),
            attributes: vec![
                computed("id", Type::String, "The family name."),
                Attribute::new("family", Type::String, Mode::Required,
                    "Task definition family of the template, e.g. `web-template`. Changing it replaces the resource."),
                Attribute::new("container_definitions", Type::String, Mode::Optional,
                    "Container definitions as a JSON array, as in `aws_ecs_task_definition` (use `jsonencode`). Compared semantically: defaults AWS adds and reorderings it makes never show as changes. Required unless `task_definition` is given."),
                Attribute::new("task_definition", Type::String, Mode::Optional,
                    "A whole task definition as JSON, instead of `container_definitions` and the task arguments: RegisterTaskDefinition input or `aws ecs describe-task-definition` output, e.g. `file(\"ecs-task-def.json\")` from ecspresso or aws-actions. Read-only fields and the `taskDefinition` wrapper are ignored, `family` is this resource's, and its `tags` (a list of `{key, value}`) join `tags_all`. Every other field is registered as written."),
                optional("cpu", Type::String, "Task CPU units (`256`) or vCPUs (`.25 vCPU`)."),
                optional("memory", Type::String, "Task memory in MiB (`512`) or GB (`.5 GB`)."),
                optional("network_mode", Type::String, "`awsvpc`, `bridge`, `host` or `none`."),
                optional("requires_compatibilities", Type::set(Type::String), "Launch types the task definition is validated against: `EC2`, `FARGATE`, `EXTERNAL`, `MANAGED_INSTANCES`."),
                optional("execution_role_arn", Type::String, "ARN of the role the ECS agent uses to pull images and read secrets."),
                optional("task_role_arn", Type::String, "ARN of the role the containers assume."),
                optional("pid_mode", Type::String, "Process namespace: `host` or `task`."),
                optional("ipc_mode", Type::String, "IPC namespace: `host`, `task` or `none`."),
                optional("deploy_family", Type::String,
                    "Family `ecstpl deploy` registers deployed revisions into, e.g. `web`. Recorded as the `ecstpl:deploy-family` tag; changing it re-tags the template revision without registering a new one."),
                optional("tags", Type::map(Type::String), "Tags on the template revision. Keys starting with `ecstpl:` are reserved."),
                optional("enable_fault_injection", Type::Bool, "Enable fault injection (FIS) for tasks of this definition."),
                optional("skip_destroy", Type::Bool, "Keep the template revision registered when the resource is destroyed."),
                optional("deregister_superseded", Type::Bool,
                    "Deregister superseded template revisions after an update registers a new one (default `true`). Only revisions tagged `ecstpl:role=template` are ever deregistered; a revision somebody else registered into the family is left alone."),
                optional("keep_superseded_revisions", Type::Number,
                    "With `deregister_superseded`, how many of the newest superseded template revisions stay ACTIVE (default 0), e.g. to roll back by hand."),
                computed("tags_all", Type::map(Type::String), "`tags` merged over the provider's `default_tags`."),
                computed("arn", Type::String, "ARN of the current template revision."),
                computed("arn_without_revision", Type::String, "ARN of the family, without the revision number."),
                computed("revision", Type::Number, "Revision number of the current template revision."),
            ],
            blocks: task_blocks::blocks(),
            ..Block::default()
        },
    }
}

#[tonic::async_trait]
impl Resource for TemplateResource {
    fn type_name(&self) -> &'static str {
        "ecstpl_template"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn upgrade(&self, request: UpgradeRequest) -> UpgradeResponse {
        let schema = schema();
        if request.version > schema.version {
            return UpgradeResponse {
                state: Value::Null,
                diagnostics: Diagnostics::single_error(
                    "State written by a newer provider",
                    format!(
                        "The state of this ecstpl_template has schema version {}, newer than this provider's {}. Use the provider version that wrote it.",
                        request.version, schema.version
                    ),
                ),
            };
        }
        match value::decode_json(&request.raw_state, &schema.value_type()) {
            Ok(state) => UpgradeResponse {
                state: with_empty_block_lists(state),
                diagnostics: Diagnostics::new(),
            },
            Err(err) => UpgradeResponse {
                state: Value::Null,
                diagnostics: Diagnostics::single_error(
                    "Could not read the stored state",
                    err.to_string(),
                ),
            },
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            new_state: request.current_state.clone(),
            private: request.private,
            diagnostics: Diagnostics::new(),
        };
        let ecs = match self.shared.ecs() {
            Ok(ecs) => ecs,
            Err(diags) => {
                response.diagnostics = diags;
                return response;
            }
        };
        let Some(arn) = values::string(&request.current_state, "arn") else {
            return response;
        };
        match ecs.describe_task_definition(&arn).await {
            Ok(Some(revision)) if revision.is_active() => {
                response.new_state = state_from_revision(
                    &request.current_state,
                    &revision,
                    self.shared.default_tags().unwrap_or_default(),
                );
            }
            Ok(_) => {
                tracing::info!(%arn, "template revision is gone or INACTIVE; removing it from state");
                response.new_state = Value::Null;
            }
            Err(err) => response
                .diagnostics
                .error("Could not read the template revision", err.to_string()),
        }
        response
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        plan(&request, self.shared.default_tags())
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            new_state: request.prior_state.clone(),
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        let ecs = match self.shared.ecs() {
            Ok(ecs) => ecs,
            Err(diags) => {
                response.diagnostics = diags;
                return response;
            }
        };
        let prior = &request.prior_state;
        let planned = &request.planned_state;
        if planned.is_null() {
            delete(&ecs, prior, &mut response.diagnostics).await;
            if !response.diagnostics.has_errors() {
                response.new_state = Value::Null;
            }
            return response;
        }
        let registers = prior.is_null()
            || REVISION_OUTPUTS
                .iter()
                .any(|a| values::is_unknown(planned, a));
        if registers {
            match register(&ecs, planned).await {
                Ok(revision) => {
                    response.new_state = state_after_register(planned, &revision);
                    if !prior.is_null() {
                        supersede(&ecs, planned, revision.arn(), &mut response.diagnostics).await;
                    }
                }
                Err(diags) => response.diagnostics.extend(diags),
            }
        } else {
            match retag(&ecs, prior, planned).await {
                Ok(()) => response.new_state = planned.clone(),
                Err(diags) => response.diagnostics.extend(diags),
            }
        }
        response
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let mut response = ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        let ecs = match self.shared.ecs() {
            Ok(ecs) => ecs,
            Err(diags) => {
                response.diagnostics = diags;
                return response;
            }
        };
        let id = request.id.trim();
        let lookup = if id.starts_with("arn:") || id.contains(':') {
            ecs.describe_task_definition(id).await
        } else {
            // A bare family means its latest ACTIVE revision (not whatever DescribeTaskDefinition picks).
            match ecs.latest_active_revision(id).await {
                Ok(Some(arn)) => ecs.describe_task_definition(&arn).await,
                Ok(None) => Ok(None),
                Err(err) => Err(err),
            }
        };
        match lookup {
            Ok(Some(revision)) if revision.is_active() => {
                if !revision.is_template() {
                    response.diagnostics.warning(
                        "Importing a revision ecstpl did not register",
                        format!(
                            "{} has no `{}={}` tag. Terraform will own it from now on; the next change tags the new revision.",
                            revision.arn(),
                            aws::contract::TAG_ROLE,
                            aws::contract::ROLE_TEMPLATE
                        ),
                    );
                }
                response.state = state_from_revision(
                    &Value::Null,
                    &revision,
                    self.shared.default_tags().unwrap_or_default(),
                );
            }
            Ok(_) => response.diagnostics.error(
                "Cannot import: no ACTIVE task definition revision found",
                format!(
                    "Nothing ACTIVE matches {id:?}. Import takes an ARN, `family:revision`, or a family name (its latest ACTIVE revision)."
                ),
            ),
            Err(err) => response
                .diagnostics
                .error("Could not look up the task definition to import", err.to_string()),
        }
        response
    }
}

/// State stored before a block list existed has no entry for it; Terraform wants an empty
/// list there, never null.
fn with_empty_block_lists(mut state: Value) -> Value {
    if state.is_null() {
        return state;
    }
    for block in task_blocks::blocks() {
        if block.nesting == crate::plugin::schema::Nesting::List
            && state.get_attr(&block.name).is_none_or(Value::is_null)
        {
            state.set_attr(block.name.clone(), Value::List(Vec::new()));
        }
    }
    state
}

/// A state object with every attribute null.
fn empty_state() -> Value {
    let Type::Object(attributes) = schema().value_type() else {
        return Value::Null;
    };
    Value::Object(
        attributes
            .into_iter()
            .map(|(name, ty)| {
                // An absent list of blocks is an empty list, never null.
                let value = match ty {
                    Type::List(_) => Value::List(Vec::new()),
                    _ => Value::Null,
                };
                (name, value)
            })
            .collect(),
    )
}

fn normalize_context(state: &Value) -> taskdef::Context {
    taskdef::Context {
        network_mode: values::string(state, "network_mode"),
        requires_compatibilities: values::strings(state, "requires_compatibilities"),
    }
}

// ---------------------------------------------------------------------------------------------
// Document mode: the whole task definition as one JSON argument

/// The task arguments, which a `task_definition` document replaces.
const DOCUMENT_REPLACES: &[&str] = &[
    "container_definitions",
    "cpu",
    "memory",
    "network_mode",
    "requires_compatibilities",
    "execution_role_arn",
    "task_role_arn",
    "pid_mode",
    "ipc_mode",
    "enable_fault_injection",
    "volume",
    "placement_constraints",
    "proxy_configuration",
    "runtime_platform",
    "ephemeral_storage",
    "inference_accelerator",
];

fn is_set(config: &Value, name: &str) -> bool {
    match config.get_attr(name) {
        None | Some(Value::Null) => false,
        Some(Value::List(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

/// The `task_definition` document without what ecstpl sets itself (family, read-only fields).
fn document(state: &Value) -> Option<Map<String, Json>> {
    let text = values::string(state, "task_definition")?;
    let mut document = taskdef::parse_task_definition_document(&text).ok()?;
    document.remove("family");
    Some(document)
}

/// The tags a `task_definition` document carries.
fn document_tags(document: &Map<String, Json>) -> BTreeMap<String, String> {
    document
        .get("tags")
        .and_then(Json::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t.get("key")?.as_str()?.to_string(),
                        t.get("value")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The provider's default tags plus a document's own tags: what `tags` merges over.
fn base_tags(state: &Value, default_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut base = default_tags.clone();
    if let Some(document) = document(state) {
        base.extend(document_tags(&document));
    }
    base
}

fn validate_document(config: &Value, diags: &mut Diagnostics) {
    for name in DOCUMENT_REPLACES {
        if is_set(config, name) {
            diags.error_at(
                AttributePath::root(*name),
                format!("{name} conflicts with task_definition"),
                "task_definition holds the whole task definition; set this inside it instead.",
            );
        }
    }
    let Some(text) = values::string(config, "task_definition") else {
        return;
    };
    let path = AttributePath::root("task_definition");
    let mut definition = match taskdef::parse_task_definition_document(&text) {
        Ok(definition) => definition,
        Err(err) => {
            diags.error_at(path, "Invalid task_definition", err.to_string());
            return;
        }
    };
    // The resource's family is the one registered; a document's is often a placeholder.
    let family = values::string(config, "family").unwrap_or_else(|| "template".into());
    definition.insert("family".into(), Json::from(family));
    for problem in taskdef::validate_task_definition(&definition) {
        diags.error_at(
            path.clone(),
            problem.summary.clone(),
            describe_document_problem(&problem),
        );
    }
    for key in document_tags(&definition).keys() {
        if key.starts_with(aws::contract::RESERVED_PREFIX) {
            diags.error_at(
                path.clone(),
                "Reserved tag key",
                format!("The document's tag {key:?} starts with {:?}, which ecstpl reserves for its contract tags.", aws::contract::RESERVED_PREFIX),
            );
        }
    }
    let task_memory_absent = definition.get("memory").is_none_or(Json::is_null);
    if let Some(containers) = definition
        .get("containerDefinitions")
        .and_then(|c| taskdef::parse_container_definitions(&c.to_string()).ok())
    {
        missing_memory(
            &containers,
            task_memory_absent,
            &path,
            "containerDefinitions",
            diags,
        );
    }
}

fn describe_document_problem(problem: &taskdef::Problem) -> String {
    let mut location = String::new();
    for segment in &problem.path {
        match segment {
            taskdef::PathSegment::Index(i) => location.push_str(&format!("[{i}]")),
            taskdef::PathSegment::Key(k) if location.is_empty() => location.push_str(k),
            taskdef::PathSegment::Key(k) => location.push_str(&format!(".{k}")),
        }
    }
    match (location.is_empty(), problem.detail.is_empty()) {
        (true, _) => problem.detail.clone(),
        (false, true) => format!("At {location}."),
        (false, false) => format!("At {location}: {}", problem.detail),
    }
}

/// ECS refuses a container without memory or memoryReservation unless the task sets memory.
fn missing_memory(
    containers: &[taskdef::Container],
    task_memory_absent: bool,
    path: &AttributePath,
    prefix: &str,
    diags: &mut Diagnostics,
) {
    if !task_memory_absent {
        return;
    }
    for (index, container) in containers.iter().enumerate() {
        let has = |key: &str| container.get(key).is_some_and(|v| !v.is_null());
        if !has("memory") && !has("memoryReservation") {
            let name = container.get("name").and_then(Json::as_str).unwrap_or("?");
            diags.error_at(
                path.clone(),
                "Missing memory",
                format!(
                    "At {prefix}[{index}]: container {name:?} sets neither memory nor memoryReservation, and the task sets no memory; ECS requires one of them. Set the task's memory, or the container's."
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let with_document = is_set(config, "task_definition");
    if with_document {
        validate_document(config, &mut diags);
    } else if !is_set(config, "container_definitions") {
        diags.error_at(
            AttributePath::root("container_definitions"),
            "Missing container_definitions",
            "Give container_definitions (with the task arguments), or a whole task definition in task_definition.",
        );
    }
    if let Some(family) = values::string(config, "family")
        && let Err(message) = taskdef::validate_family(&family)
    {
        diags.error_at(AttributePath::root("family"), "Invalid family", message);
    }
    if let Some(deploy_family) = values::string(config, "deploy_family") {
        if let Err(message) = taskdef::validate_family(&deploy_family) {
            diags.error_at(
                AttributePath::root("deploy_family"),
                "Invalid deploy_family",
                message,
            );
        }
        if values::string(config, "family").as_deref() == Some(deploy_family.as_str()) {
            diags.error_at(
                AttributePath::root("deploy_family"),
                "deploy_family must differ from family",
                "The template family holds only template revisions; deployed revisions go to a family of their own so each owner registers into its own family.",
            );
        }
    }
    let context = normalize_context(config);
    if let Some(text) = values::string(config, "container_definitions") {
        for problem in taskdef::validate_container_definitions(&text, &context) {
            diags.error_at(
                AttributePath::root("container_definitions"),
                problem.summary.clone(),
                describe_problem(&problem),
            );
        }
    }
    let cpu = values::string(config, "cpu");
    let memory = values::string(config, "memory");
    let task_memory_absent = config.get_attr("memory").is_none_or(Value::is_null);
    if let Some(containers) = values::string(config, "container_definitions")
        .and_then(|text| taskdef::parse_container_definitions(&text).ok())
    {
        missing_memory(
            &containers,
            task_memory_absent,
            &AttributePath::root("container_definitions"),
            "containerDefinitions",
            &mut diags,
        );
    }
    if let Some(cpu) = &cpu
        && taskdef::normalize_cpu(cpu).is_none()
    {
        diags.error_at(
            AttributePath::root("cpu"),
            "Invalid cpu",
            format!("{cpu:?} is not a CPU size: use CPU units (\"256\") or vCPUs (\".25 vCPU\", \"1 vCPU\")."),
        );
    }
    if let Some(memory) = &memory
        && taskdef::normalize_memory(memory).is_none()
    {
        diags.error_at(
            AttributePath::root("memory"),
            "Invalid memory",
            format!(
                "{memory:?} is not a memory size: use MiB (\"512\") or GB (\".5 GB\", \"2 GB\")."
            ),
        );
    }
    let fargate = context
        .requires_compatibilities
        .iter()
        .any(|c| c == "FARGATE");
    if fargate && !diags.has_errors() {
        match (&cpu, &memory) {
            (Some(cpu), Some(memory)) => {
                if let Err(message) = taskdef::validate_fargate_size(cpu, memory) {
                    diags.error_at(AttributePath::root("memory"), "Invalid Fargate task size", message);
                }
            }
            // The missing attribute has no line to point at; the one that requires it does.
            (None, _) if !values::is_unknown(config, "cpu") => diags.error_at(
                AttributePath::root("requires_compatibilities"),
                "Fargate needs a task cpu",
                "requires_compatibilities includes FARGATE, which requires task-level cpu and memory.",
            ),
            (_, None) if !values::is_unknown(config, "memory") => diags.error_at(
                AttributePath::root("requires_compatibilities"),
                "Fargate needs a task memory",
                "requires_compatibilities includes FARGATE, which requires task-level cpu and memory.",
            ),
            _ => {}
        }
        if values::string(config, "network_mode").is_some_and(|m| m != "awsvpc") {
            diags.error_at(
                AttributePath::root("network_mode"),
                "Fargate needs awsvpc",
                "Tasks on FARGATE must use network_mode = \"awsvpc\".",
            );
        }
    }
    if values::integer(config, "keep_superseded_revisions").is_some_and(|n| n < 0) {
        diags.error_at(
            AttributePath::root("keep_superseded_revisions"),
            "Invalid keep_superseded_revisions",
            "keep_superseded_revisions counts revisions to keep: 0 or more. To keep every revision, set deregister_superseded = false.",
        );
    }
    if let Some(tags) = config.get_attr("tags").and_then(Value::as_map) {
        for key in tags.keys() {
            if key.starts_with(aws::contract::RESERVED_PREFIX) {
                diags.error_at(
                    AttributePath::root("tags").key(key.clone()),
                    "Reserved tag key",
                    format!("Tag keys starting with {:?} are ecstpl's own contract tags; use deploy_family instead of setting them by hand.", aws::contract::RESERVED_PREFIX),
                );
            }
        }
        if tags.len() > MAX_USER_TAGS {
            diags.error_at(
                AttributePath::root("tags"),
                "Too many tags",
                format!("{} tags given; ECS allows 50 per task definition and ecstpl needs up to 3 for its contract, so at most {MAX_USER_TAGS}.", tags.len()),
            );
        }
    }
    diags
}

fn describe_problem(problem: &taskdef::Problem) -> String {
    let mut location = String::from("containerDefinitions");
    for segment in &problem.path {
        match segment {
            taskdef::PathSegment::Index(i) => location.push_str(&format!("[{i}]")),
            taskdef::PathSegment::Key(k) => location.push_str(&format!(".{k}")),
        }
    }
    if problem.detail.is_empty() {
        format!("At {location}.")
    } else {
        format!("At {location}: {}", problem.detail)
    }
}

// ---------------------------------------------------------------------------------------------
// Plan

fn plan(request: &PlanRequest, default_tags: Option<BTreeMap<String, String>>) -> PlanResponse {
    let mut response = PlanResponse {
        planned_state: request.proposed_new_state.clone(),
        requires_replace: Vec::new(),
        planned_private: Vec::new(),
        diagnostics: Diagnostics::new(),
    };
    let prior = &request.prior_state;
    let config = &request.config;
    let planned = &mut response.planned_state;
    if planned.is_null() {
        return response;
    }
    let family = config.get_attr("family").cloned().unwrap_or(Value::Null);
    planned.set_attr("id", family);
    planned.set_attr("tags_all", planned_tags_all(config, default_tags.as_ref()));

    if prior.is_null() {
        for attribute in ["arn", "revision", "arn_without_revision"] {
            planned.set_attr(attribute, Value::unknown());
        }
        return response;
    }

    // Keep the prior text where it means the same to ECS: allowed because both are non-null.
    let context = normalize_context(config);
    if let (Some(wanted), Some(stored)) = (
        values::string(config, "container_definitions"),
        values::string(prior, "container_definitions"),
    ) && wanted != stored
        && containers_equivalent_text(&wanted, &stored, &context)
    {
        planned.set_attr("container_definitions", Value::string(stored));
    }
    if let (Some(wanted), Some(stored)) = (document(config), document(prior)) {
        let same_text =
            values::string(config, "task_definition") == values::string(prior, "task_definition");
        if !same_text
            && taskdef::task_definitions_equivalent(&wanted, &stored)
            && document_tags(&wanted) == document_tags(&stored)
            && let Some(text) = values::string(prior, "task_definition")
        {
            planned.set_attr("task_definition", Value::string(text));
        }
    }
    for (attribute, normalize) in [
        ("cpu", taskdef::normalize_cpu as fn(&str) -> Option<String>),
        ("memory", taskdef::normalize_memory),
    ] {
        if let (Some(wanted), Some(stored)) = (
            values::string(config, attribute),
            values::string(prior, attribute),
        ) && wanted != stored
            && normalize(&wanted).is_some()
            && normalize(&wanted) == normalize(&stored)
        {
            planned.set_attr(attribute, Value::string(stored));
        }
    }

    let changed = |planned: &Value, attribute: &str| {
        let (now, before) = (planned.get_attr(attribute), prior.get_attr(attribute));
        // No network mode and "bridge" are the same task definition to ECS.
        if attribute == "network_mode" {
            let mode =
                |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("bridge").to_string();
            return mode(now) != mode(before) || now.is_some_and(Value::is_unknown);
        }
        now != before
    };
    let changed_arguments: Vec<&str> = revision_arguments()
        .filter(|a| changed(planned, a))
        .collect();
    let new_revision = !changed_arguments.is_empty();
    if new_revision {
        tracing::debug!(changed = ?changed_arguments, "plan registers a new template revision");
    }
    let family_changed = changed(planned, "family");
    if new_revision {
        for attribute in REVISION_OUTPUTS {
            planned.set_attr(*attribute, Value::unknown());
        }
        if family_changed {
            planned.set_attr("arn_without_revision", Value::unknown());
            response
                .requires_replace
                .push(AttributePath::root("family"));
        }
    }
    response
}

fn containers_equivalent_text(a: &str, b: &str, context: &taskdef::Context) -> bool {
    match (
        taskdef::parse_container_definitions(a),
        taskdef::parse_container_definitions(b),
    ) {
        (Ok(a), Ok(b)) => taskdef::containers_equivalent(&a, &b, context),
        _ => false,
    }
}

/// `tags` over `default_tags`; unknown while either is unknown.
fn planned_tags_all(config: &Value, default_tags: Option<&BTreeMap<String, String>>) -> Value {
    let Some(default_tags) = default_tags else {
        return Value::unknown();
    };
    let tags = match config.get_attr("tags") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(_) => match values::string_map(config, "tags") {
            Some(tags) => tags,
            None => return Value::unknown(),
        },
    };
    if values::is_unknown(config, "task_definition") {
        return Value::unknown();
    }
    let mut all = base_tags(config, default_tags);
    all.extend(tags);
    values::map_value(&all)
}

// ---------------------------------------------------------------------------------------------
// Apply

/// The tags a template revision carries in ECS: the user's (with defaults) plus the contract's.
fn revision_tags(state: &Value) -> BTreeMap<String, String> {
    let mut tags = values::string_map(state, "tags_all").unwrap_or_default();
    tags.insert(
        aws::contract::TAG_ROLE.to_string(),
        aws::contract::ROLE_TEMPLATE.to_string(),
    );
    if let Some(deploy_family) = values::string(state, "deploy_family") {
        tags.insert(aws::contract::TAG_DEPLOY_FAMILY.to_string(), deploy_family);
    }
    tags
}

fn register_request(planned: &Value) -> Result<Map<String, Json>, Diagnostics> {
    if values::string(planned, "task_definition").is_some() {
        return document_register_request(planned);
    }
    let text = values::string(planned, "container_definitions").unwrap_or_default();
    let containers = taskdef::parse_container_definitions(&text).map_err(|err| {
        let mut diags = Diagnostics::new();
        diags.error_at(
            AttributePath::root("container_definitions"),
            "Invalid container_definitions",
            err.to_string(),
        );
        diags
    })?;
    let mut request = Map::new();
    let family = values::string(planned, "family").unwrap_or_default();
    request.insert("family".into(), Json::from(family));
    request.insert(
        "containerDefinitions".into(),
        taskdef::containers_for_register(&containers),
    );
    let sized = [
        (
            "cpu",
            "cpu",
            taskdef::normalize_cpu as fn(&str) -> Option<String>,
        ),
        ("memory", "memory", taskdef::normalize_memory),
    ];
    for (attribute, key, normalize) in sized {
        if let Some(text) = values::string(planned, attribute) {
            request.insert(key.into(), Json::from(normalize(&text).unwrap_or(text)));
        }
    }
    for (attribute, key) in [
        ("network_mode", "networkMode"),
        ("execution_role_arn", "executionRoleArn"),
        ("task_role_arn", "taskRoleArn"),
        ("pid_mode", "pidMode"),
        ("ipc_mode", "ipcMode"),
    ] {
        if let Some(text) = values::string(planned, attribute) {
            request.insert(key.into(), Json::from(text));
        }
    }
    if let Some(enabled) = values::boolean(planned, "enable_fault_injection") {
        request.insert("enableFaultInjection".into(), Json::from(enabled));
    }
    task_blocks::to_request(planned, &mut request);
    let compatibilities = values::strings(planned, "requires_compatibilities");
    if !compatibilities.is_empty() {
        request.insert(
            "requiresCompatibilities".into(),
            Json::from(compatibilities),
        );
    }
    let tags: Vec<Json> = revision_tags(planned)
        .into_iter()
        .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
        .collect();
    request.insert("tags".into(), Json::Array(tags));
    Ok(request)
}

/// RegisterTaskDefinition input from a `task_definition` document: every field as written
/// (nulls dropped), the resource's family, task sizes as ECS stores them, ecstpl's tags.
fn document_register_request(planned: &Value) -> Result<Map<String, Json>, Diagnostics> {
    let Some(mut request) = document(planned) else {
        let mut diags = Diagnostics::new();
        diags.error_at(
            AttributePath::root("task_definition"),
            "Invalid task_definition",
            "task_definition is not a JSON task definition.",
        );
        return Err(diags);
    };
    request.retain(|_, v| !v.is_null());
    let mut request = match taskdef::without_nulls(&Json::Object(request)) {
        Json::Object(request) => request,
        _ => Map::new(),
    };
    request.insert(
        "family".into(),
        Json::from(values::string(planned, "family").unwrap_or_default()),
    );
    for (key, normalize) in [
        ("cpu", taskdef::normalize_cpu as fn(&str) -> Option<String>),
        ("memory", taskdef::normalize_memory),
    ] {
        let normalized = request.get(key).and_then(Json::as_str).and_then(normalize);
        if let Some(normalized) = normalized {
            request.insert(key.into(), Json::from(normalized));
        }
    }
    let tags: Vec<Json> = revision_tags(planned)
        .into_iter()
        .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
        .collect();
    request.insert("tags".into(), Json::Array(tags));
    Ok(request)
}

async fn register(ecs: &Ecs, planned: &Value) -> Result<Revision, Diagnostics> {
    let request = register_request(planned)?;
    let revision = ecs
        .register_task_definition(&request)
        .await
        .map_err(|err| {
            Diagnostics::single_error("Could not register the template revision", err.to_string())
        })?;
    tracing::info!(arn = %revision.arn(), "registered template revision");
    Ok(revision)
}

fn state_after_register(planned: &Value, revision: &Revision) -> Value {
    let mut state = planned.clone();
    state.set_attr("arn", Value::string(revision.arn()));
    state.set_attr("revision", Value::from(revision.revision()));
    state.set_attr(
        "arn_without_revision",
        Value::string(arn_without_revision(revision.arn())),
    );
    state
}

fn arn_without_revision(arn: &str) -> String {
    match arn.rsplit_once(':') {
        Some((base, revision)) if revision.chars().all(|c| c.is_ascii_digit()) => base.to_string(),
        _ => arn.to_string(),
    }
}

/// After an update registered `new_arn`, superseded template revisions of the family are
/// deregistered (all but the newest `keep_superseded_revisions`), but only ecstpl's own
/// template revisions: never one somebody else registered into the family.
async fn supersede(ecs: &Ecs, planned: &Value, new_arn: &str, diags: &mut Diagnostics) {
    if values::boolean(planned, "deregister_superseded") == Some(false) {
        return;
    }
    let keep = values::integer(planned, "keep_superseded_revisions")
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let family = values::string(planned, "family").unwrap_or_default();
    let mut active = match ecs.list_revisions(&family, true).await {
        Ok(arns) => arns,
        Err(err) => {
            diags.warning(
                "Could not list superseded template revisions",
                format!("They stay ACTIVE: {err}"),
            );
            return;
        }
    };
    active.retain(|arn| arn != new_arn);
    // Newest first; the newest `keep` stay.
    active.reverse();
    for old_arn in active.into_iter().skip(keep) {
        match ecs.describe_task_definition(&old_arn).await {
            Ok(Some(old)) if old.is_active() && old.is_template() => {
                if let Err(err) = ecs.deregister_task_definition(&old_arn).await {
                    diags.warning(
                        "Could not deregister a superseded template revision",
                        format!("{old_arn} stays ACTIVE: {err}"),
                    );
                }
            }
            Ok(_) => {}
            Err(err) => diags.warning(
                "Could not check a superseded template revision",
                format!("{old_arn} was left as it is: {err}"),
            ),
        }
    }
}

async fn retag(ecs: &Ecs, prior: &Value, planned: &Value) -> Result<(), Diagnostics> {
    let Some(arn) = values::string(prior, "arn") else {
        return Ok(());
    };
    let old = revision_tags(prior);
    let new = revision_tags(planned);
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let changed: BTreeMap<String, String> = new
        .into_iter()
        .filter(|(k, v)| old.get(k) != Some(v))
        .collect();
    let fail = |err: aws::AwsError| {
        Diagnostics::single_error(
            "Could not update the template revision's tags",
            err.to_string(),
        )
    };
    if !removed.is_empty() {
        ecs.untag_resource(&arn, &removed).await.map_err(fail)?;
    }
    if !changed.is_empty() {
        ecs.tag_resource(&arn, &changed).await.map_err(fail)?;
    }
    Ok(())
}

async fn delete(ecs: &Ecs, prior: &Value, diags: &mut Diagnostics) {
    let Some(arn) = values::string(prior, "arn") else {
        return;
    };
    if values::boolean(prior, "skip_destroy") == Some(true) {
        tracing::info!(%arn, "skip_destroy: leaving the template revision registered");
        return;
    }
    match ecs.describe_task_definition(&arn).await {
        Ok(Some(revision)) if revision.is_active() => {
            if let Err(err) = ecs.deregister_task_definition(&arn).await {
                diags.error(
                    "Could not deregister the template revision",
                    err.to_string(),
                );
            }
        }
        Ok(_) => {}
        Err(err) => diags.error("Could not look up the template revision", err.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Read

/// The state that describes `revision`, keeping the prior representation of every value that
/// is semantically unchanged.
fn state_from_revision(
    prior: &Value,
    revision: &Revision,
    default_tags: BTreeMap<String, String>,
) -> Value {
    let live = &revision.task_definition;
    let live_str = |key: &str| live.get(key).and_then(Json::as_str).map(str::to_string);
    let prior_document = document(prior);
    let default_tags = if prior_document.is_some() {
        base_tags(prior, &default_tags)
    } else {
        default_tags
    };
    let mut state = prior.clone();
    if state.is_null() {
        state = empty_state();
    }
    state.set_attr("id", Value::string(revision.family()));
    state.set_attr("family", Value::string(revision.family()));
    state.set_attr("arn", Value::string(revision.arn()));
    state.set_attr("revision", Value::from(revision.revision()));
    state.set_attr(
        "arn_without_revision",
        Value::string(arn_without_revision(revision.arn())),
    );

    let network_mode = live_str("networkMode");
    let prior_network_mode = values::string(prior, "network_mode");
    // ECS reports "bridge" for a definition registered without a network mode; keep the
    // user's null. On import there is no user value yet: take what ECS says.
    let importing = prior.is_null();
    let network_mode_value = match (&prior_network_mode, &network_mode) {
        (None, Some(mode)) if mode == "bridge" && !importing => Value::Null,
        (_, mode) => values::optional_string(mode.as_deref()),
    };
    state.set_attr("network_mode", network_mode_value);

    let context = taskdef::Context {
        network_mode: network_mode.clone(),
        requires_compatibilities: live
            .get("requiresCompatibilities")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let live_containers: Vec<Map<String, Json>> = live
        .get("containerDefinitions")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|c| c.as_object().cloned()).collect())
        .unwrap_or_default();
    let prior_text = values::string(prior, "container_definitions");
    state.set_attr(
        "container_definitions",
        Value::string(taskdef::container_definitions_for_state(
            prior_text.as_deref(),
            &live_containers,
            &context,
        )),
    );

    for (attribute, key, normalize) in [
        (
            "cpu",
            "cpu",
            taskdef::normalize_cpu as fn(&str) -> Option<String>,
        ),
        ("memory", "memory", taskdef::normalize_memory),
    ] {
        let live_value = live_str(key);
        let prior_value = values::string(prior, attribute);
        let keep_prior = match (&prior_value, &live_value) {
            (Some(p), Some(l)) => normalize(p).is_some() && normalize(p) == normalize(l),
            _ => false,
        };
        let value = if keep_prior { prior_value } else { live_value };
        state.set_attr(attribute, values::optional_string(value.as_deref()));
    }

    for (attribute, key) in [
        ("execution_role_arn", "executionRoleArn"),
        ("task_role_arn", "taskRoleArn"),
        ("pid_mode", "pidMode"),
        ("ipc_mode", "ipcMode"),
    ] {
        state.set_attr(attribute, values::optional_string(live_str(key).as_deref()));
    }

    let fault_injection = live.get("enableFaultInjection").and_then(Json::as_bool);
    let keep_null =
        values::boolean(prior, "enable_fault_injection").is_none() && fault_injection != Some(true);
    state.set_attr(
        "enable_fault_injection",
        if keep_null {
            Value::Null
        } else {
            Value::Bool(fault_injection.unwrap_or(false))
        },
    );
    task_blocks::from_revision(live, prior, &mut state);

    let compatibilities = context.requires_compatibilities.clone();
    let prior_compatibilities = prior.get_attr("requires_compatibilities");
    state.set_attr(
        "requires_compatibilities",
        if compatibilities.is_empty() && prior_compatibilities.is_none_or(Value::is_null) {
            Value::Null
        } else {
            values::set_value(compatibilities)
        },
    );

    let user_tags: BTreeMap<String, String> = revision
        .tags
        .iter()
        .filter(|(k, _)| !k.starts_with(aws::contract::RESERVED_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let prior_tags = values::string_map(prior, "tags").unwrap_or_default();
    let tags: BTreeMap<String, String> = user_tags
        .iter()
        .filter(|(k, v)| prior_tags.contains_key(*k) || default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags_value = if tags.is_empty() && prior.get_attr("tags").is_none_or(Value::is_null) {
        Value::Null
    } else {
        values::map_value(&tags)
    };
    state.set_attr("tags", tags_value);
    state.set_attr("tags_all", values::map_value(&user_tags));
    state.set_attr(
        "deploy_family",
        values::optional_string(
            revision
                .tags
                .get(aws::contract::TAG_DEPLOY_FAMILY)
                .map(String::as_str),
        ),
    );
    if state.get_attr("skip_destroy").is_none() {
        state.set_attr("skip_destroy", Value::Null);
    }
    if let Some(prior_document) = prior_document {
        // Document mode: the whole definition lives in task_definition.
        let mut live_document = live.clone();
        taskdef::strip_read_only(&mut live_document);
        live_document.remove("family");
        let text = if taskdef::task_definitions_equivalent(&prior_document, &live_document) {
            values::string(prior, "task_definition").unwrap_or_default()
        } else {
            Json::Object(live_document).to_string()
        };
        state.set_attr("task_definition", Value::string(text));
        for name in DOCUMENT_REPLACES {
            let empty = match state.get_attr(name) {
                Some(Value::List(_)) => Value::List(Vec::new()),
                _ => Value::Null,
            };
            state.set_attr(*name, empty);
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn state_stored_before_the_block_arguments_existed_upgrades() {
        // Version 0 state as the first release stored it: no block lists, no policy arguments.
        let raw = br#"{"id":"web-template","family":"web-template","container_definitions":"[]",
            "arn":"arn:aws:ecs:us-east-1:1:task-definition/web-template:3","revision":3,
            "tags":{"team":"web"},"tags_all":{"team":"web"}}"#;
        let resource = TemplateResource::new(Arc::new(Shared::default()));
        let upgraded = resource
            .upgrade(UpgradeRequest {
                version: 0,
                raw_state: raw.to_vec(),
            })
            .await;
        assert!(
            upgraded.diagnostics.is_empty(),
            "{:?}",
            upgraded.diagnostics
        );
        assert_eq!(
            upgraded.state.get_attr("revision").and_then(Value::as_i64),
            Some(3)
        );
        assert_eq!(
            upgraded.state.get_attr("volume"),
            Some(&Value::List(vec![]))
        );
        assert_eq!(
            upgraded.state.get_attr("proxy_configuration"),
            Some(&Value::Null)
        );
        // And it encodes for Terraform with the current schema.
        crate::plugin::value::encode(&upgraded.state, &schema().value_type()).unwrap();
    }

    #[tokio::test]
    async fn state_from_a_newer_schema_is_refused() {
        let resource = TemplateResource::new(Arc::new(Shared::default()));
        let upgraded = resource
            .upgrade(UpgradeRequest {
                version: 99,
                raw_state: b"{}".to_vec(),
            })
            .await;
        assert!(upgraded.diagnostics.has_errors());
    }

    #[test]
    fn arn_without_revision_strips_only_a_revision_number() {
        assert_eq!(
            arn_without_revision(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template:7"
            ),
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template"
        );
        assert_eq!(arn_without_revision("not-an-arn"), "not-an-arn");
    }
}
