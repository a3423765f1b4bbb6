//! The public map's reads: the requests of each geohash-5 cell from gsi7, a few cells at once.

use super::items::MapItem;
use super::{DynamoTable, Item, decode, keys, s, unavailable};
use crate::domain::map::MapPin;
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

/// How many cells are read at once.
const IN_FLIGHT: usize = 8;
/// The most pages one cell is read in (each up to 1 MB, thousands of pins).
const MOST_PAGES: usize = 4;

impl DynamoTable {
    /// Each cell's open requests and those closed since `closed_since`, newest first and open
    /// ones first (gsi7 read backwards), at most `limit` of a cell; in the order of the cells.
    pub(super) async fn map_cells(
        &self,
        cells: &[String],
        closed_since: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<MapPin>, bool), StoreError> {
        let mut results: Vec<Option<(Vec<MapPin>, bool)>> = vec![None; cells.len()];
        let mut running = tokio::task::JoinSet::new();
        let mut next = cells.iter().enumerate();
        loop {
            while running.len() < IN_FLIGHT {
                let Some((i, cell)) = next.next() else { break };
                let (table, cell) = (self.clone(), cell.clone());
                running.spawn(async move { (i, table.map_cell(&cell, closed_since, limit).await) });
            }
            let Some(done) = running.join_next().await else { break };
            let (i, found) = done.map_err(|e| StoreError::unavailable("Query", e))?;
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(found?);
            }
        }
        let (mut pins, mut more) = (Vec::new(), false);
        for (found, cut) in results.into_iter().flatten() {
            pins.extend(found);
            more |= cut;
        }
        Ok((pins, more))
    }

    async fn map_cell(
        &self,
        cell: &str,
        closed_since: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<MapPin>, bool), StoreError> {
        let pk = keys::map(cell);
        // One more than `limit` tells whether the cell holds more.
        let wanted = limit.saturating_add(1);
        let mut pins = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..MOST_PAGES {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi7")
                .key_condition_expression("gsi7pk = :pk AND gsi7sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":from", s(keys::map_closed_since(closed_since)))
                .expression_attribute_values(":to", s(keys::MAP_END))
                .scan_index_forward(false)
                .limit(i32::try_from(wanted - pins.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable("Query"))?;
            for item in output.items.unwrap_or_default() {
                pins.push(decode::<MapItem>(item, &pk)?.pin());
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if pins.len() >= wanted || start.is_none() {
                break;
            }
        }
        let more = pins.len() > limit || start.is_some();
        pins.truncate(limit);
        Ok((pins, more))
    }
}
