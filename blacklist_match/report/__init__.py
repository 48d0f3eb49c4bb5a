"""Flag reports, summaries and run manifests."""
