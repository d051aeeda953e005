//! The Terraform front end: provider configuration, resources and data sources.
