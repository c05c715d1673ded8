"""Reports computed on the server (``GET /reports/{kind}``) over narrow typed tables.

``records`` holds each record as a JSON document; parsing 1M visits per request
would never meet the 300 ms target, so the figures reports read are kept beside it
in typed columns (:mod:`.tables`), written in the same transaction as the records by
the one writer (``records.Batch.finish`` → :func:`.rows.keep`). Each report
(:mod:`.visits`, :mod:`.coverage`, :mod:`.deals`) returns the types of
``fieldapp.domain.reports``, folded by ``fieldapp.domain.report_fold`` as the
replica's are, so the server's answer is the document ``fieldapp report … --json``
prints.
"""
