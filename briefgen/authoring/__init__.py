"""Tools for the people who keep the fact base: proposing facts (`extract`) and finding gaps (`coverage`).

They read the fact base through the gate like a build does, and write only candidate files for review.
"""
