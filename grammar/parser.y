/* PLACEHOLDER: replaced by the front-end work. */
%define api.pure full
%locations
%code requires { #include "ast.h" }
%%
file: %empty ;
%%
