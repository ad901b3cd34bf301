"""Bulk work on a task queue: procrastinate (PostgreSQL) on the database the store uses.

`lt jobs submit` puts one job per recording (or per stored session to re-run)
on the queue; `lt worker` takes jobs and runs each one as the same stages a
pipeline runs (capture, transcribe, translate, store), called as library
generators, into the store. Workers on other machines share the queue by
connecting to the same PostgreSQL.
"""
