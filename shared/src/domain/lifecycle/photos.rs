//! A ticket takes its photos as the photo pipeline processes its uploads.

use super::*;

impl Ticket {
    /// Takes the outcome of processing one of its uploads: a photo to publish, or why the
    /// upload was refused (staff see the reason). `None` when the upload is not (or no longer)
    /// one the ticket waits for, as when a replay brings it again.
    pub fn attach(
        &self,
        processing: &crate::domain::photo::Processing,
        now: DateTime<Utc>,
    ) -> Option<(Ticket, HistoryEntry)> {
        use crate::domain::photo::Processing;
        let upload = processing.upload_id();
        if !self.uploads.iter().any(|u| u == upload) {
            return None;
        }
        let mut next = self.clone();
        next.uploads.retain(|u| u != upload);
        let held = next.held_uploads.iter().any(|u| u == upload);
        next.held_uploads.retain(|u| u != upload);
        let after = next.after_uploads.iter().any(|u| u == upload);
        next.after_uploads.retain(|u| u != upload);
        let (change, public) = match processing {
            Processing::Processed { photo, .. } => {
                let mut photo = photo.clone();
                photo.hidden |= held;
                photo.after = after;
                let id = photo.id.clone();
                next.photos.push(photo);
                (Change::PhotoAdded { photo: id }, !held)
            }
            Processing::Refused { upload_id, reason } => {
                (Change::PhotoRefused { upload: upload_id.clone(), reason: reason.clone() }, false)
            }
        };
        Some(next.recorded(self.version, change, public, Actor::System, now))
    }
}
