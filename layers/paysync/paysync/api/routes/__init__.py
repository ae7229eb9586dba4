"""One router factory per area. Factories, not module-level routers: each resolver (one per
function, plus the documentation's) gets routers of its own, as a Router remembers its resolver."""
