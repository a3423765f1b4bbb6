//! The catalog: services, departments, the business calendar and the routing rules, all in
//! one partition.

use super::items::{CalendarItem, DepartmentItem, RoutingItem, ServiceItem};
use super::{DynamoTable, conditional, decode, encode, keys, s, unavailable};
use crate::domain::catalog::{Department, Reference, Service};
use crate::domain::routing::RoutingRules;
use crate::domain::sla::BusinessCalendar;
use crate::ports::{Catalog, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl Catalog for DynamoTable {
    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        let items: Vec<ServiceItem> = self.items_under(keys::CATALOG, keys::SERVICE_PREFIX).await?;
        let mut services: Vec<Service> = items.into_iter().map(|i| i.service).collect();
        services.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        Ok(services)
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let items: Vec<DepartmentItem> = self.items_under(keys::CATALOG, keys::DEPARTMENT_PREFIX).await?;
        Ok(items.into_iter().map(|i| i.department).collect())
    }

    /// One Query of the catalog partition; the routing rules stay on the server (filtered out).
    async fn reference(&self) -> Result<Reference, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .filter_expression("#entity IN (:service, :department, :calendar)")
            .expression_attribute_names("#entity", "entity")
            .expression_attribute_values(":pk", s(keys::CATALOG))
            .expression_attribute_values(":service", s("service"))
            .expression_attribute_values(":department", s("department"))
            .expression_attribute_values(":calendar", s("calendar"))
            .into_paginator()
            .items()
            .send();
        let mut reference = Reference::default();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable("Query"))?;
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).map_or("?", |v| v);
            let key = format!("{}/{sk}", keys::CATALOG);
            match item.get("entity").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("service") => reference.services.push(decode::<ServiceItem>(item, &key)?.service),
                Some("department") => {
                    reference.departments.push(decode::<DepartmentItem>(item, &key)?.department)
                }
                Some("calendar") => reference.calendar = Some(decode::<CalendarItem>(item, &key)?.calendar),
                _ => {}
            }
        }
        reference.services.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        Ok(reference)
    }

    async fn service(&self, code: &str) -> Result<Option<Service>, StoreError> {
        Ok(self.get_item::<ServiceItem>(keys::service(code)).await?.map(|i| i.service))
    }

    async fn department(&self, code: &str) -> Result<Option<Department>, StoreError> {
        Ok(self.get_item::<DepartmentItem>(keys::department(code)).await?.map(|i| i.department))
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::service(&service.code);
        self.put_item(encode(&ServiceItem {
            pk,
            sk,
            entity: "service".to_owned(),
            service: service.clone(),
        })?)
        .await
    }

    async fn calendar(&self) -> Result<Option<BusinessCalendar>, StoreError> {
        Ok(self.get_item::<CalendarItem>(keys::calendar()).await?.map(|i| i.calendar))
    }

    async fn put_calendar(&self, calendar: &BusinessCalendar) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::calendar();
        self.put_item(encode(&CalendarItem {
            pk,
            sk,
            entity: "calendar".to_owned(),
            calendar: calendar.clone(),
        })?)
        .await
    }

    async fn routing(&self) -> Result<Option<RoutingRules>, StoreError> {
        Ok(self.get_item::<RoutingItem>(keys::routing()).await?.map(|i| i.rules))
    }

    async fn put_routing(&self, rules: &RoutingRules) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::routing();
        let item = encode(&RoutingItem { pk, sk, entity: "routing".to_owned(), rules: rules.clone() })?;
        let seen = rules.version.saturating_sub(1);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(if seen == 0 {
                "attribute_not_exists(pk) OR version = :seen"
            } else {
                "version = :seen"
            })
            .expression_attribute_values(":seen", AttributeValue::N(seen.to_string()))
            .send()
            .await;
        conditional(result, "PutItem")?.map(|_| ()).ok_or(StoreError::Conflict)
    }

    async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::department(&department.code);
        self.put_item(encode(&DepartmentItem {
            pk,
            sk,
            entity: "department".to_owned(),
            department: department.clone(),
        })?)
        .await
    }
}
