"""Source adapters: curated lists and installations that name repositories to crawl."""
