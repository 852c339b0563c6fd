//! Paging through lists: newest first, at most `limit` items, strictly after (older than) `marker`.

/// Which slice of a list to return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<Id> {
    /// Most items to return; `None`: all.
    pub limit: Option<usize>,
    /// The last item of the previous page: return the items older than it.
    pub marker: Option<Id>,
}

impl<Id> Page<Id> {
    /// Everything, in one page.
    pub fn all() -> Self {
        Self { limit: None, marker: None }
    }

    /// The `limit` for a query that also tells whether more items follow: one more than asked.
    pub fn fetch_limit(&self) -> i64 {
        self.limit.map_or(i64::MAX, |limit| limit.saturating_add(1).min(i64::MAX as usize) as i64)
    }

    /// Cuts the one extra item [`Page::fetch_limit`] fetched; `true` when there was one (a next page).
    pub fn trim<T>(&self, items: &mut Vec<T>) -> bool {
        match self.limit {
            Some(limit) if items.len() > limit => {
                items.truncate(limit);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_extra_item_tells_that_a_next_page_exists() {
        let page: Page<u32> = Page { limit: Some(2), marker: None };
        assert_eq!(page.fetch_limit(), 3);
        let mut items = vec![1, 2, 3];
        assert!(page.trim(&mut items));
        assert_eq!(items, [1, 2]);
        let mut items = vec![1, 2];
        assert!(!page.trim(&mut items));
    }

    #[test]
    fn no_limit_fetches_everything() {
        let page: Page<u32> = Page::all();
        assert_eq!(page.fetch_limit(), i64::MAX);
        let mut items = vec![1; 10];
        assert!(!page.trim(&mut items));
        assert_eq!(items.len(), 10);
    }
}
