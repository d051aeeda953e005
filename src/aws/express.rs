//! ECS Express services (`resourceManagementType: ECS` in DescribeServices): ECS manages
//! their load balancer, scaling and networking, so their task definition is handed over with
//! UpdateExpressGatewayService, never UpdateService behind Express's back; and what they run
//! is what DescribeExpressGatewayService lists in `activeConfigurations`. Nothing else of an
//! Express service's configuration is ever sent.

use aws_sdk_ecs::types::ExpressGatewayServiceConfiguration;

use crate::aws::paced::SendPaced;
use crate::aws::{AwsError, Ecs};

impl Ecs {
    /// Points the Express service at `task_definition_arn` (UpdateExpressGatewayService with
    /// the service and the task definition only: its image, roles, cpu and memory come from
    /// the task definition, and its scaling and networking stay as they are). ECS starts a
    /// service deployment for it; the answer does not name that deployment.
    pub async fn update_express_gateway_service(
        &self,
        service_arn: &str,
        task_definition_arn: &str,
    ) -> Result<(), AwsError> {
        self.client
            .update_express_gateway_service()
            .service_arn(service_arn)
            .task_definition_arn(task_definition_arn)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("UpdateExpressGatewayService", err))?;
        Ok(())
    }

    /// The task definition the Express service runs, as DescribeExpressGatewayService reports
    /// it: of its active configurations, the newest (while a deployment is under way, the one
    /// it moves to, as a service's PRIMARY deployment). None when it lists none.
    pub async fn express_task_definition(
        &self,
        service_arn: &str,
    ) -> Result<Option<String>, AwsError> {
        let output = self
            .client
            .describe_express_gateway_service()
            .service_arn(service_arn)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("DescribeExpressGatewayService", err))?;
        Ok(output
            .service()
            .and_then(|service| newest(service.active_configurations()))
            .map(str::to_string))
    }
}

/// The task definition of the newest configuration that names one (the last listed among
/// equals).
fn newest(configurations: &[ExpressGatewayServiceConfiguration]) -> Option<&str> {
    configurations
        .iter()
        .filter(|c| c.task_definition_arn().is_some_and(|arn| !arn.is_empty()))
        .max_by(|a, b| {
            let seconds = |c: &ExpressGatewayServiceConfiguration| {
                c.created_at().map_or(0.0, |t| t.as_secs_f64())
            };
            seconds(a).total_cmp(&seconds(b))
        })
        .and_then(ExpressGatewayServiceConfiguration::task_definition_arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime;

    fn configuration(arn: Option<&str>, at: f64) -> ExpressGatewayServiceConfiguration {
        ExpressGatewayServiceConfiguration::builder()
            .set_task_definition_arn(arn.map(str::to_string))
            .created_at(DateTime::from_secs_f64(at))
            .build()
    }

    #[test]
    fn the_newest_active_configuration_is_what_runs() {
        assert_eq!(newest(&[]), None);
        let moving = [
            configuration(Some("web:2"), 200.0),
            configuration(Some("web:1"), 100.0),
        ];
        assert_eq!(newest(&moving), Some("web:2"));
        let without = [
            configuration(Some("web:1"), 100.0),
            configuration(None, 300.0),
        ];
        assert_eq!(newest(&without), Some("web:1"));
    }
}
