"""The console for teachers, content creators and administrators."""
