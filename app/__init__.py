"""Streamlit web app of the knowledge base: pages render, the packages do the work."""
