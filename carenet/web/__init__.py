"""What the front doors (the patient's pages, the consoles, the API) share: who is acting and what they may do,
asked of the one permission table. Front doors import this package; it imports domain apps, never a front door."""
