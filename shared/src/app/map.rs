//! The public map: the requests in a bounding box, from the map index's cells.

use crate::domain::map::{self, BoundingBox, InView, MAX_PINS};
use crate::ports::{StoreError, TicketStore};
use chrono::{DateTime, Utc};

/// The open public requests in `bbox` and those closed in the last
/// [`map::RECENTLY_CLOSED_DAYS`] before `now`, open ones first, at most [`MAX_PINS`]. `cells` are
/// the box's ([`BoundingBox::cells`]): one Query each.
pub async fn in_view(
    store: &dyn TicketStore,
    bbox: &BoundingBox,
    cells: &[String],
    now: DateTime<Utc>,
) -> Result<InView, StoreError> {
    let since = map::closed_since(now);
    let (found, more) = store.in_map_cells(cells, since, MAX_PINS).await?;
    Ok(map::in_view(bbox, found, since, MAX_PINS, more))
}
