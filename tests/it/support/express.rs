//! The test suite's model of ECS Express services, which moto does not know: written from
//! the ECS API reference, never from ecstpl's code. The sources:
//!
//! - `Service.resourceManagementType`: "Identifies whether an ECS Service is an Express Service
//!   managed by ECS, or managed by the customer. The valid values are ECS and CUSTOMER"
//!   (API_Service.html; aws-sdk-ecs 1.133 `Service::resource_management_type`).
//! - `UpdateExpressGatewayService {serviceArn, taskDefinitionArn, …}`: "The task definition must
//!   have a container named Main with a single TCP port mapping that includes a container port
//!   and port name. The task definition must also have FARGATE compatibility." and "If you
//!   provide a task definition ARN, you cannot also specify primaryContainer, executionRoleArn,
//!   taskRoleArn, cpu, or memory." "Amazon ECS creates a new service revision with updated
//!   configuration and performs a rolling deployment to replace existing tasks." It answers
//!   `service {serviceArn, cluster, serviceName, status, targetConfiguration, …}`
//!   (API_UpdateExpressGatewayService.html, API_UpdatedExpressGatewayService.html); its errors
//!   include InvalidParameterException and ServiceNotFoundException.
//! - "FARGATE compatibility": a task definition's `compatibilities` are "the task launch types
//!   the task definition validated against during task definition registration", i.e. those of
//!   `requiresCompatibilities` (API_TaskDefinition.html).
//! - `DescribeExpressGatewayService {serviceArn}` answers `service {serviceArn, serviceName,
//!   cluster, status, currentDeployment, activeConfigurations[{serviceRevisionArn,
//!   taskDefinitionArn, createdAt, …}], …}`; "each service can have multiple active
//!   configurations, enabling blue-green deployments and gradual rollouts"
//!   (API_DescribeExpressGatewayService.html, API_ECSExpressGatewayService.html,
//!   API_ExpressGatewayServiceConfiguration.html).
//! - Express services deploy with canary deployments by default (developer guide,
//!   express-service-update-full.html): a test creates the service with that configuration.
//!
//! Not documented, so modelled as an assumption and recorded for tests to assert on: what ECS
//! answers UpdateService on an Express service (the proxy lets it through, as the measurement
//! in issue 23 saw; tests assert ecstpl never calls it), and the error for an ARN that is not
//! an Express service (InvalidParameterException here).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::deployments::{Simulator, error};

/// The services a test marked as Express services, by name.
#[derive(Debug, Default)]
pub struct Express {
    names: HashSet<String>,
}

fn service_name(value: &str) -> String {
    value.rsplit('/').next().unwrap_or(value).to_string()
}

impl Express {
    pub fn mark(&mut self, name: &str) {
        self.names.insert(name.to_string());
    }

    pub fn is_express(&self, service: &str) -> bool {
        self.names.contains(&service_name(service))
    }

    /// What DescribeServices adds to a service: its resource management type.
    pub fn describe_service(&self, service: &mut Value) {
        let express = service["serviceName"]
            .as_str()
            .is_some_and(|name| self.is_express(name));
        service["resourceManagementType"] = json!(if express { "ECS" } else { "CUSTOMER" });
    }

    /// The task definition ARN UpdateExpressGatewayService names, when there is one to describe
    /// before answering.
    pub fn task_definition_to_check(operation: &str, request: &Value) -> Option<String> {
        (operation == "UpdateExpressGatewayService")
            .then(|| request["taskDefinitionArn"].as_str().map(str::to_string))
            .flatten()
    }

    /// Answers the Express operations; None for any other. `task_definition`: what
    /// DescribeTaskDefinition returned for the named task definition (None: no such one).
    pub fn answer(
        &self,
        simulator: &mut Simulator,
        operation: &str,
        request: &Value,
        task_definition: Option<&Value>,
    ) -> Option<(u16, Value)> {
        match operation {
            "UpdateExpressGatewayService" => Some(self.update(simulator, request, task_definition)),
            "DescribeExpressGatewayService" => Some(self.describe(simulator, request)),
            _ => None,
        }
    }

    fn express_service(&self, simulator: &Simulator, arn: &str) -> Result<String, (u16, Value)> {
        let name = service_name(arn);
        if simulator.service_arns(&name).is_none() {
            return Err(error(400, "ServiceNotFoundException", "Service not found."));
        }
        if !self.is_express(&name) {
            return Err(error(
                400,
                "InvalidParameterException",
                &format!("The service {arn} is not an Express service."),
            ));
        }
        Ok(name)
    }

    fn update(
        &self,
        simulator: &mut Simulator,
        request: &Value,
        task_definition: Option<&Value>,
    ) -> (u16, Value) {
        let arn = request["serviceArn"].as_str().unwrap_or_default();
        let name = match self.express_service(simulator, arn) {
            Ok(name) => name,
            Err(answer) => return answer,
        };
        let Some(task_definition_arn) = request["taskDefinitionArn"].as_str() else {
            return error(
                400,
                "InvalidParameterException",
                "The simulator models updates with a taskDefinitionArn only.",
            );
        };
        for field in [
            "primaryContainer",
            "executionRoleArn",
            "taskRoleArn",
            "cpu",
            "memory",
        ] {
            if !request[field].is_null() {
                return error(
                    400,
                    "InvalidParameterException",
                    &format!("{field} cannot be specified together with taskDefinitionArn."),
                );
            }
        }
        let Some(definition) = task_definition else {
            return error(
                400,
                "InvalidParameterException",
                &format!("Unable to describe task definition {task_definition_arn}."),
            );
        };
        if let Err(reason) = servable(definition) {
            return error(400, "InvalidParameterException", &reason);
        }
        let resolved = definition["taskDefinitionArn"]
            .as_str()
            .unwrap_or(task_definition_arn)
            .to_string();
        let (service_arn, cluster_arn) = simulator.service_arns(&name).unwrap_or_default();
        simulator.updated(&service_arn, &json!({"taskDefinition": resolved}));
        let target = simulator
            .active_revisions(&name)
            .into_iter()
            .find(|(_, td, _)| *td == resolved);
        (
            200,
            json!({"service": {
                "serviceArn": service_arn, "cluster": cluster_arn, "serviceName": name,
                "status": {"statusCode": "ACTIVE"},
                "targetConfiguration": target.map(|(revision, td, at)| json!({
                    "serviceRevisionArn": revision, "taskDefinitionArn": td, "createdAt": at
                })),
            }}),
        )
    }

    fn describe(&self, simulator: &Simulator, request: &Value) -> (u16, Value) {
        let arn = request["serviceArn"].as_str().unwrap_or_default();
        let name = match self.express_service(simulator, arn) {
            Ok(name) => name,
            Err(answer) => return answer,
        };
        let (service_arn, cluster_arn) = simulator.service_arns(&name).unwrap_or_default();
        let configurations: Vec<Value> = simulator
            .active_revisions(&name)
            .into_iter()
            .map(|(revision, td, at)| {
                json!({"serviceRevisionArn": revision, "taskDefinitionArn": td, "createdAt": at})
            })
            .collect();
        (
            200,
            json!({"service": {
                "serviceArn": service_arn, "cluster": cluster_arn, "serviceName": name,
                "status": {"statusCode": "ACTIVE"},
                "currentDeployment": simulator.latest_deployment(&name),
                "activeConfigurations": configurations,
            }}),
        )
    }
}

/// The reference's rule for a task definition an Express service takes; Err with the reason
/// ECS would give (its exact wording is not documented).
fn servable(definition: &Value) -> Result<(), String> {
    let fargate = definition["requiresCompatibilities"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c == "FARGATE"));
    if !fargate {
        return Err("The task definition must have FARGATE compatibility.".into());
    }
    let main = definition["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "Main")
        .ok_or("The task definition must have a container named Main.")?;
    let mappings = main["portMappings"].as_array().cloned().unwrap_or_default();
    let [mapping] = mappings.as_slice() else {
        return Err("The Main container must have a single port mapping.".into());
    };
    let tcp = mapping["protocol"].is_null() || mapping["protocol"] == "tcp";
    let port = mapping["containerPort"].is_number();
    let named = mapping["name"].as_str().is_some_and(|n| !n.is_empty());
    if !(tcp && port && named) {
        return Err(
            "The port mapping of the Main container must be TCP and include a container port and a port name."
                .into(),
        );
    }
    Ok(())
}
