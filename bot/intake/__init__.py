"""What liaisons send: routing, albums, the sending mode, nil reports, /mysubmissions,
event reports and the documents router."""
