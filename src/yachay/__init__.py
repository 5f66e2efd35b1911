"""Yachay: lessons and practice over any phone, in Spanish, Quechua and Aymara."""

__version__ = "0.1.0"
