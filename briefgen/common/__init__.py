"""Neutral helpers that every stage may use and none owns: hashing, numbers, sentences, paths, processes.

Nothing here imports from another briefgen package but `briefgen.errors`, so any layer can import it.
"""
