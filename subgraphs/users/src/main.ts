import { runServiceMain } from '@chat4all/common';
import { usersService } from './server';

runServiceMain(usersService());
