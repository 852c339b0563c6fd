//! [`Listed`]: one page of a list and the marker that fetches the next one.

use qinling_core::Page;

#[derive(Clone, Debug, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    /// The marker of the next page (the last item's id or name); `None` on the last page.
    pub next_marker: Option<String>,
}

impl<T> Listed<T> {
    /// Builds a page from what the store returned for `page` (one item more than the limit, if more exist).
    pub(crate) fn page<Id>(page: &Page<Id>, mut items: Vec<T>, marker_of: impl Fn(&T) -> String) -> Self {
        let more = page.trim(&mut items);
        let next_marker = if more { items.last().map(marker_of) } else { None };
        Self { items, next_marker }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_marker_is_the_last_item_of_a_full_page() {
        let page: Page<u32> = Page { limit: Some(2), marker: None };
        let listed = Listed::page(&page, vec![5, 4, 3], |n| n.to_string());
        assert_eq!(listed, Listed { items: vec![5, 4], next_marker: Some("4".into()) });
        let listed = Listed::page(&page, vec![5, 4], |n| n.to_string());
        assert_eq!(listed.next_marker, None);
    }
}
