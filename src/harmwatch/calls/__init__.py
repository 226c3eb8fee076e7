"""County lines from call data: import, everyday analysis, deal-line detection, roles."""
