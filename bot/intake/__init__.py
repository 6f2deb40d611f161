"""What liaisons send: ``receive`` (route, record, receipt), ``routing`` (pure: where a burst
goes), ``albums``, ``archive`` (files into the media store), ``sending`` (/plan, /summary, the
prompts' buttons, nil reports), ``mine`` (/mysubmissions, withdrawals), ``events`` (/event)
and ``documents`` (the one router for documents)."""
